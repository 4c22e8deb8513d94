"""Faults, the daily quota and the short-window rate limit, as spotipy meets them."""

from __future__ import annotations

import pytest
import requests
import spotipy
from spotipy import SpotifyException

from sandbox.spotify_api import seconds_to_utc_midnight

from tests.sandbox.helpers import all_items, call, control, owned


def plain_client(sandboxes, running, **options) -> spotipy.Spotify:
    """spotipy on its own requests session: no retry adapter, so errors arrive with their headers."""
    return sandboxes.client(running, requests_session=requests.Session(), **options)


def fault(running, **spec) -> None:
    control(running, "POST", "faults", [spec])


def test_429_with_retry_after(sandboxes, demo):
    fault(demo, route="GET /v1/me/tracks", status=429, retry_after=7)
    with pytest.raises(SpotifyException) as raised:
        plain_client(sandboxes, demo).current_user_saved_tracks()
    assert raised.value.http_status == 429 and raised.value.headers["Retry-After"] == "7"


def test_spotipy_retries_a_429_and_gets_the_page(sandboxes, demo):
    fault(demo, route="GET /v1/me/tracks", status=429, retry_after=0)
    sp = sandboxes.client(demo, retries=3, status_retries=3)
    assert sp.current_user_saved_tracks(limit=3)["limit"] == 3
    assert control(demo, "GET", "stats").json()["requests"]["GET /v1/me/tracks"] == 2


def test_quota_exceeded_fault_carries_the_reason(sandboxes, demo):
    fault(demo, route="GET /v1/me/playlists", status=429, retry_after=3600, reason="QUOTA_EXCEEDED")
    response = call(demo, "GET", "/v1/me/playlists", sandboxes.token(demo))
    assert response.json() == {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}
    fault(demo, route="GET /v1/me/playlists", status=429, retry_after=3600, reason="QUOTA_EXCEEDED")
    with pytest.raises(SpotifyException) as raised:
        plain_client(sandboxes, demo).current_user_playlists()
    assert raised.value.reason == "QUOTA_EXCEEDED" and raised.value.headers["Retry-After"] == "3600"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(sandboxes, demo, conforms, status):
    fault(demo, route="GET /v1/playlists/{playlist_id}/items", status=status)
    response = call(demo, "GET", f"/v1/playlists/{owned(demo).id}/items", sandboxes.token(demo))
    assert response.status_code == status
    conforms(response.json()["error"], "error")
    assert call(demo, "GET", f"/v1/playlists/{owned(demo).id}/items", sandboxes.token(demo)).status_code == 200


def test_apply_then_502_writes_and_spotipys_retry_duplicates(sandboxes, demo):
    playlist = owned(demo)
    uri = f"spotify:track:{demo.world.library.tracks[-1].id}"
    fault(demo, route="POST /v1/playlists/{playlist_id}/items", status=502, apply=True)
    with pytest.raises(SpotifyException) as raised:
        plain_client(sandboxes, demo).playlist_add_items(playlist.id, [uri])
    assert raised.value.http_status == 502
    sp = sandboxes.client(demo)
    entries = all_items(sp, playlist.id)
    assert [e["item"]["uri"] for e in entries if e["item"]].count(uri) == 1  # the failed call did write

    fault(demo, route="POST /v1/playlists/{playlist_id}/items", status=502, apply=True)
    retrying = sandboxes.client(demo, retries=1, status_retries=1, backoff_factor=0)
    retrying.playlist_add_items(playlist.id, [uri])  # 502 after applying, spotipy re-sends the POST
    assert [e["item"]["uri"] for e in all_items(sp, playlist.id) if e["item"]].count(uri) == 3


def test_injected_latency_trips_a_client_timeout(sandboxes, demo):
    fault(demo, route="GET /v1/me", status=200, delay_ms=1500)
    with pytest.raises(requests.exceptions.Timeout):
        sandboxes.client(demo, requests_timeout=0.3).me()
    assert sandboxes.client(demo).me()["id"] == "demo"


def test_sandbox_wide_latency(sandboxes):
    running = sandboxes.start(latency_ms=1500)
    with pytest.raises(requests.exceptions.Timeout):
        sandboxes.client(running, requests_timeout=0.3).me()
    assert sandboxes.client(running, requests_timeout=10).me()["id"] == "demo"


def test_daily_quota_per_developer_account_resets_at_utc_midnight(sandboxes):
    running = sandboxes.start(quota_per_day=5)
    sp = plain_client(sandboxes, running)
    for _ in range(5):
        sp.me()
    with pytest.raises(SpotifyException) as raised:
        sp.current_user_saved_tracks()
    assert raised.value.http_status == 429 and raised.value.reason == "QUOTA_EXCEEDED"
    wait = int(raised.value.headers["Retry-After"])
    assert abs(wait - seconds_to_utc_midnight(running.world.clock.now())) <= 2
    assert plain_client(sandboxes, running, client_id="client-b").me()["id"] == "demo"  # another developer account
    other_user = plain_client(sandboxes, running, user="friend")
    with pytest.raises(SpotifyException):  # same app, another user: the same account's quota
        other_user.me()
    control(running, "POST", "clock", {"advance_s": wait + 1})
    fresh = plain_client(sandboxes, running)
    assert fresh.me()["id"] == "demo"


def test_seconds_to_utc_midnight():
    assert seconds_to_utc_midnight(86400 * 10) == 86400
    assert seconds_to_utc_midnight(86400 * 10 + 3600.5) == 82800
    assert seconds_to_utc_midnight(86400 * 11 - 0.2) == 1


def test_rate_limit_answers_retry_after_and_counts_violations(sandboxes):
    running = sandboxes.start(rate_limit_per_30s=3)
    token = sandboxes.token(running)
    assert [call(running, "GET", "/v1/me", token).status_code for _ in range(3)] == [200] * 3
    limited = call(running, "GET", "/v1/me", token)
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 30
    assert limited.json()["error"]["status"] == 429 and "reason" not in limited.json()["error"]
    assert control(running, "GET", "stats").json()["violations"] == {}
    assert call(running, "GET", "/v1/me", token).status_code == 429  # did not wait
    assert control(running, "GET", "stats").json()["violations"] == {"spotify": 1}
    control(running, "POST", "clock", {"advance_s": int(limited.headers["Retry-After"])})
    assert call(running, "GET", "/v1/me", token).status_code == 200
    assert control(running, "GET", "stats").json()["violations"] == {"spotify": 1}


def test_expired_token_fault(sandboxes, demo):
    fault(demo, route="GET /v1/me", status=401)
    response = call(demo, "GET", "/v1/me", sandboxes.token(demo))
    assert response.status_code == 401 and "invalid_token" in response.headers["www-authenticate"]
