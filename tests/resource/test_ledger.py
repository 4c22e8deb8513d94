"""The request ledger: equal to the sandbox's own counts, a daily budget, shared across processes."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
import requests

from resources.ledger import Ledger, counts_to_quota, endpoint_of, next_utc_midnight, utc_day, utc_naive
from resources.spotify_errors import SpotifyBudgetSpent, SpotifyWriteUncertain
from tests.resource.conftest import make_resource, stats


def test_ledger_counts_equal_the_sandbox_stats_for_a_whole_run(spotify, sandbox, clock):
    requests.post(f"{sandbox.url}/_sandbox/faults", timeout=5, json=[
        {"route": "GET /v1/me/tracks", "status": 429, "retry_after": 1},
        {"route": "GET /v1/playlists/{playlist_id}/items", "status": 500},
        {"route": "POST /v1/playlists/{playlist_id}/items", "status": 502, "apply": True},
    ]).raise_for_status()

    for page in spotify.pages("alice", spotify.saved_tracks_page("alice", 0)):
        pass
    for page in spotify.pages("alice", spotify.playlist_items_page("alice", "plAlice", 0)):
        pass
    spotify.capabilities("alice")
    clock.advance(3700)  # the next call refreshes the token
    spotify.my_playlists_page("alice", 0)
    with pytest.raises(SpotifyWriteUncertain):
        spotify.add_items("alice", "plAlice", ["spotify:track:tr7"])

    ledger_counts = spotify.ledger.counts(client_id=spotify.app_client_id)  # login's requests included
    assert ledger_counts == stats(sandbox)
    assert ledger_counts["GET /v1/me/tracks"] == 4 and ledger_counts["POST /api/token"] == 2
    assert spotify.requests_spent() == spotify.ledger.counts(run_id="test-run")
    assert sum(r["requests"] for r in spotify.ledger.rows(run_id="login")) == 3


def test_the_daily_budget_stops_before_sending_and_resets_at_utc_midnight(env, clock, sandbox, logged_in):
    spotify = make_resource(env, clock, budget_per_day=4)  # login already spent 1 (GET /v1/me)
    spotify.saved_tracks_page("alice", 0)
    spotify.saved_tracks_page("alice", 50)
    clock.advance(3700)
    spotify.saved_tracks_page("alice", 100)  # a token refresh on the way: recorded, but free
    assert spotify.remaining_today() == 0

    with pytest.raises(SpotifyBudgetSpent) as caught:
        spotify.me("alice")

    assert caught.value.resume_at == utc_naive(next_utc_midnight(clock()))
    assert stats(sandbox)["GET /v1/me"] == 1 and stats(sandbox)["POST /api/token"] == 2
    clock.advance(next_utc_midnight(clock()) - clock() + 1)
    assert spotify.remaining_today() == 4
    assert spotify.me("alice")["id"] == "alice"


def test_endpoint_templates_and_what_counts_towards_the_quota():
    assert endpoint_of("GET", "http://h:1/v1/me/") == "GET /v1/me"
    assert endpoint_of("GET", "http://h:1/v1/playlists/abc/items?offset=50&limit=50") == "GET /v1/playlists/{playlist_id}/items"
    assert endpoint_of("GET", "https://api.spotify.com/v1/artists/?ids=a,b") == "GET /v1/artists"
    assert endpoint_of("POST", "https://accounts.spotify.com/api/token") == "POST /api/token"
    assert endpoint_of("GET", "http://h/v1/shows/x") == "GET /v1/shows/x"
    assert counts_to_quota("GET /v1/me") and not counts_to_quota("POST /api/token")
    assert not counts_to_quota("GET /authorize")


def test_the_day_boundary_follows_the_given_clock(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    midnight = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    for now in (midnight - 1, midnight - 0.5, midnight + 1):
        ledger.reserve(client_id="app", user="u", endpoint="GET /v1/me", run_id="r", now=now, budget_per_day=2)

    assert utc_day(midnight - 1) == "2026-02-28" and utc_day(midnight + 1) == "2026-03-01"
    assert ledger.spent_today("app", midnight - 1) == 2
    assert ledger.spent_today("app", midnight) == 1
    assert ledger.remaining_today("app", midnight, 2) == 1
    assert ledger.remaining_today("app", midnight, None) is None
    with pytest.raises(SpotifyBudgetSpent):
        ledger.reserve(client_id="app", user="u", endpoint="GET /v1/me", run_id="r", now=midnight - 0.2, budget_per_day=2)
    ledger.reserve(client_id="other-app", user="u", endpoint="GET /v1/me", run_id="r", now=midnight - 0.2, budget_per_day=2)


def _spend(path: str, tries: int, budget: int, now: float) -> int:
    ledger = Ledger(path)
    sent = 0
    for _ in range(tries):
        try:
            ledger.reserve(client_id="app", user="u", endpoint="GET /v1/me/tracks", run_id="r", now=now, budget_per_day=budget)
            sent += 1
        except SpotifyBudgetSpent:
            pass
    return sent


def test_processes_share_one_budget_exactly(tmp_path):
    path = str(tmp_path / "state" / "ledger.sqlite")
    Ledger(path)
    now = datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        sent = pool.starmap(_spend, [(path, 60, 150, now)] * 3)

    assert sum(sent) == 150
    assert Ledger(path).spent_today("app", now) == 150


def test_cooldowns_expire_with_the_clock(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    ledger.set_cooldown("app", resume_at=1000.0, kind="quota", now=10.0)

    assert ledger.cooldown("app", 999.0).kind == "quota"
    assert ledger.cooldown("app", 1000.0) is None
    assert ledger.cooldown("other", 999.0) is None
    assert (utc_naive(next_utc_midnight(1000.0)) - datetime(1970, 1, 2)) == timedelta(0)
