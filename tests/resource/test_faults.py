"""Every sandbox fault kind through the resource: what is retried, what stops, what is never re-sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from resources.budget import utc_naive
from resources.spotify_errors import (
    SpotifyQuotaExceeded,
    SpotifyRateLimited,
    SpotifyUnavailable,
    SpotifyWriteUncertain,
)
from tests.clocked import movable_clock
from tests.resource.conftest import make_library, make_resource, run_login, stats, sandbox_running

LIKED = "GET /v1/me/tracks"
ADD = "POST /v1/playlists/{playlist_id}/items"


def fault(sandbox, route: str, status: int, times: int = 1, **extra) -> None:
    spec = {"route": route, "status": status, "times": times, **extra}
    requests.post(f"{sandbox.url}/_sandbox/faults", json=[spec], timeout=5).raise_for_status()


def _playlist_items(sandbox, playlist_id: str) -> list:
    state = requests.get(f"{sandbox.url}/_sandbox/library", timeout=5).json()
    return next(p for p in state["playlists"] if p["id"] == playlist_id)["items"]


def test_429_with_retry_after_waits_that_long_then_succeeds(spotify, sandbox, clock):
    fault(sandbox, LIKED, 429, retry_after=7)

    page = spotify.saved_tracks_page("alice", 0)

    assert len(page["items"]) == 50
    assert clock.slept == [7]
    assert stats(sandbox)[LIKED] == 2


def test_retry_after_beyond_the_cap_stops_with_the_resume_time_and_sends_nothing_more(spotify, sandbox, clock):
    fault(sandbox, LIKED, 429, retry_after=3600)
    start = clock()

    with pytest.raises(SpotifyRateLimited) as caught:
        spotify.saved_tracks_page("alice", 0)

    assert abs(caught.value.resume_at - utc_naive(start + 3600)) < timedelta(seconds=5)
    assert "resume after" in str(caught.value) and clock.slept == []
    with pytest.raises(SpotifyRateLimited):
        spotify.me("alice")  # the cooldown is recorded: no request goes out
    assert stats(sandbox).get("GET /v1/me") == 1  # login's only


def test_quota_exceeded_stops_cleanly_and_the_cooldown_outlives_the_resource(spotify, sandbox, clock, env):
    fault(sandbox, LIKED, 429, reason="QUOTA_EXCEEDED", retry_after=7200)
    start = clock()

    with pytest.raises(SpotifyQuotaExceeded) as caught:
        spotify.saved_tracks_page("alice", 0)

    assert abs(caught.value.resume_at - utc_naive(start + 7200)) < timedelta(seconds=5)
    assert stats(sandbox)[LIKED] == 1 and clock.slept == []
    later = make_resource(env, clock)  # a new run, same data dir
    with pytest.raises(SpotifyQuotaExceeded):
        later.saved_tracks_page("alice", 0)
    assert stats(sandbox)[LIKED] == 1

    clock.advance(7201)
    assert len(later.saved_tracks_page("alice", 0)["items"]) == 50


def test_the_sandbox_quota_resumes_at_utc_midnight(env, library, monkeypatch, clock):
    with sandbox_running(library, quota_per_day=3) as tight:
        monkeypatch.setenv("SPOTIFY_API_BASE", tight.url)
        monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", tight.url)
        assert run_login() == 0  # spends one (GET /v1/me)
        clock = movable_clock(tight.url)
        spotify = make_resource(env, clock, budget_per_day=None)
        spotify.saved_tracks_page("alice", 0)
        spotify.saved_tracks_page("alice", 50)

        with pytest.raises(SpotifyQuotaExceeded) as caught:
            spotify.saved_tracks_page("alice", 100)

        resume = caught.value.resume_at
        assert (resume.hour, resume.minute, resume.second) == (0, 0, 0)
        assert resume.date() == (utc_naive(clock()) + timedelta(days=1)).date()


def test_5xx_on_a_read_is_retried_with_backoff(spotify, sandbox, clock):
    fault(sandbox, LIKED, 502, times=2)

    assert len(spotify.saved_tracks_page("alice", 0)["items"]) == 50
    assert clock.slept == [0.5, 1.0]
    assert stats(sandbox)[LIKED] == 3


def test_5xx_that_persists_gives_up_after_the_configured_attempts(spotify, sandbox, clock):
    fault(sandbox, LIKED, 503, times=10)

    with pytest.raises(SpotifyUnavailable, match="GET /v1/me/tracks kept failing"):
        spotify.saved_tracks_page("alice", 0)
    assert stats(sandbox)[LIKED] == 4  # max_get_attempts, not spotipy's "Max Retries" 429


def test_a_read_timeout_is_retried(env, clock, sandbox, logged_in):
    spotify = make_resource(env, clock, requests_timeout_s=0.5)
    fault(sandbox, "GET /v1/me", 200, delay_ms=1000)  # a pure latency fault

    assert spotify.me("alice")["id"] == "alice"
    assert stats(sandbox)["GET /v1/me"] == 3  # login's, the timed-out one, the retry


def test_a_401_refreshes_once_then_succeeds(spotify, sandbox):
    fault(sandbox, LIKED, 401)

    assert len(spotify.saved_tracks_page("alice", 0)["items"]) == 50
    assert stats(sandbox)["POST /api/token"] == 2  # login + the forced refresh


@pytest.mark.parametrize("status", [502, 500])
def test_apply_then_5xx_on_a_write_is_sent_exactly_once(spotify, sandbox, status):
    fault(sandbox, ADD, status, apply=True)

    with pytest.raises(SpotifyWriteUncertain, match="re-read the playlist"):
        spotify.add_items("alice", "plAlice", ["spotify:track:tr99"])

    assert stats(sandbox)[ADD] == 1
    assert [i["track_id"] for i in _playlist_items(sandbox, "plAlice")].count("tr99") == 1  # applied once


def test_a_write_timeout_is_not_re_sent(env, clock, sandbox, logged_in):
    spotify = make_resource(env, clock, requests_timeout_s=0.5)
    fault(sandbox, "PUT /v1/playlists/{playlist_id}/items", 200, delay_ms=1000)

    with pytest.raises(SpotifyWriteUncertain):
        spotify.replace_items("alice", "plAlice", ["spotify:track:tr1"])
    assert stats(sandbox)["PUT /v1/playlists/{playlist_id}/items"] == 1


def test_a_429_on_a_write_is_not_re_sent(spotify, sandbox, clock):
    fault(sandbox, "POST /v1/me/playlists", 429, retry_after=2)

    with pytest.raises(SpotifyRateLimited):
        spotify.create_playlist("alice", "x", "")
    assert stats(sandbox)["POST /v1/me/playlists"] == 1 and clock.slept == []


def test_a_failing_token_endpoint_is_retried_before_a_write(spotify, sandbox, clock):
    spotify.me("alice")
    clock.advance(3700)
    fault(sandbox, "POST /api/token", 503)

    spotify.add_items("alice", "plAlice", ["spotify:track:tr98"])

    assert stats(sandbox)["POST /api/token"] == 3  # login, the failed refresh, the good one
    assert stats(sandbox)[ADD] == 1



def test_a_401_on_a_write_refreshes_and_sends_again_because_401_is_refused_unread(spotify, sandbox):
    fault(sandbox, ADD, 401)

    spotify.add_items("alice", "plAlice", ["spotify:track:tr97"])

    assert stats(sandbox)[ADD] == 2 and stats(sandbox)["POST /api/token"] == 2
    assert [i["track_id"] for i in _playlist_items(sandbox, "plAlice")].count("tr97") == 1


def test_the_sandbox_rate_limit_is_waited_out_without_violations(env, monkeypatch, clock):
    with sandbox_running(make_library(liked=400), rate_limit_per_30s=3) as limited:
        monkeypatch.setenv("SPOTIFY_API_BASE", limited.url)
        monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", limited.url)
        assert run_login() == 0
        clock = movable_clock(limited.url)
        spotify = make_resource(env, clock)

        pages = list(spotify.pages("alice", spotify.saved_tracks_page("alice", 0)))

        assert sum(len(p["items"]) for p in pages) == 400
        assert clock.slept and all(0 < wait <= 30 for wait in clock.slept)
        answer = requests.get(f"{limited.url}/_sandbox/stats", timeout=5).json()
        assert answer["violations"] == {}
        assert answer["requests"][LIKED] == 8 + len(clock.slept)  # each refusal costs one request
