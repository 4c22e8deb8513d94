"""The request ledger: equal to the sandbox's own counts, a daily budget, shared across processes, the
one count `ops.api_requests` copies."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import requests

from assets.ops.api_requests import api_requests
from resources.budget import Ledger, counts_to_quota, endpoint_of, next_utc_midnight, utc_day, utc_naive
from resources.warehouse import Warehouse
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
    assert sum(spotify.ledger.counts(run_id="login").values()) == 3


def test_the_daily_budget_stops_before_sending_and_resets_at_utc_midnight(env, clock, sandbox, logged_in):
    # The test moves the clock an hour: started late in a UTC day, it first moves on to the next one
    # (where login's request does not count, and the login token has expired: one more refresh).
    to_midnight = next_utc_midnight(clock()) - clock()
    moved = to_midnight < 3800
    if moved:
        clock.advance(to_midnight + 3700)
    spotify = make_resource(env, clock, budget_per_day=3 if moved else 4)  # login spent 1 (GET /v1/me) today
    spotify.saved_tracks_page("alice", 0)
    spotify.saved_tracks_page("alice", 50)
    clock.advance(3700)
    spotify.saved_tracks_page("alice", 100)  # a token refresh on the way: recorded, but free
    assert spotify.budget.remaining_today() == 0

    with pytest.raises(SpotifyBudgetSpent) as caught:
        spotify.me("alice")

    assert caught.value.resume_at == utc_naive(next_utc_midnight(clock()))
    assert stats(sandbox)["GET /v1/me"] == 1 and stats(sandbox)["POST /api/token"] == 2 + moved
    clock.advance(next_utc_midnight(clock()) - clock() + 1)
    assert spotify.budget.remaining_today() == spotify.budget_per_day
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


def test_enrichment_services_are_counted_without_a_quota(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    for _ in range(3):
        ledger.reserve(client_id="", user="", endpoint="GET /track/isrc:{isrc}", run_id="r", now=10.0,
                       budget_per_day=None, service="deezer", asset="enrichment/deezer_tracks")
    ledger.reserve(client_id="app", user="u", endpoint="GET /v1/me", run_id="r", now=10.0, budget_per_day=1)

    assert ledger.counts(service="deezer", asset="enrichment/deezer_tracks") == {"GET /track/isrc:{isrc}": 3}
    assert ledger.spent_today("app", 10.0) == 1 and ledger.spent_today("", 10.0) == 0


OLD_LEDGER = """
CREATE TABLE requests (
    client_id TEXT NOT NULL, user_id TEXT NOT NULL, service TEXT NOT NULL, endpoint TEXT NOT NULL,
    run_id TEXT NOT NULL, day TEXT NOT NULL, quota INTEGER NOT NULL, requests INTEGER NOT NULL,
    PRIMARY KEY (client_id, user_id, service, endpoint, run_id, day));
CREATE INDEX requests_by_day ON requests (client_id, day);
INSERT INTO requests VALUES ('app', 'alice', 'spotify', 'GET /v1/me/tracks', 'run-1', '2026-03-01', 1, 7);
INSERT INTO requests VALUES ('app', '', 'spotify', 'GET /v1/me', 'login', '2026-03-01', 1, 1);
"""


def test_a_ledger_from_before_assets_were_recorded_keeps_its_counts(tmp_path):
    path = tmp_path / "state" / "ledger.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(OLD_LEDGER)

    ledger = Ledger(path)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()
    assert ledger.spent_today("app", now) == 8 and ledger.spent_today("app", now, "alice") == 7
    assert ledger.totals() == []  # their requests are already in ops.api_requests
    ledger.reserve(client_id="app", user="alice", endpoint="GET /v1/me/tracks", run_id="run-2", now=now,
                   budget_per_day=None, asset="spotify/liked_songs")
    assert ledger.counts(run_id="run-2", asset="spotify/liked_songs") == {"GET /v1/me/tracks": 1}
    assert Ledger(path).spent_today("app", now) == 9  # opened again: nothing migrated twice


def test_ops_api_requests_copies_the_ledger_once_and_keeps_older_rows(tmp_path):
    warehouse = Warehouse(data_dir=str(tmp_path))
    before = pl.DataFrame({"service": ["spotify"], "endpoint": ["GET /v1/me"], "user_id": ["alice"], "run_id": ["old"],
                           "asset": ["raw/liked_songs"], "requests": [4], "recorded_at": [datetime(2026, 1, 1)]})
    warehouse.append("ops.api_requests", before)
    ledger = Ledger.in_data_dir(tmp_path)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()

    def spend(n: int, asset: str = "spotify/liked_songs", service: str = "spotify", user: str = "alice") -> None:
        for _ in range(n):
            ledger.reserve(client_id="app", user=user, endpoint="GET /v1/me/tracks", run_id="r1", now=now,
                           budget_per_day=None, asset=asset, service=service)

    def table() -> dict:
        rows = warehouse.query("select run_id, coalesce(asset, '-'), coalesce(user_id, '-'), sum(requests)::int "
                               "from ops.api_requests group by all order by all").rows()
        return {row[:3]: row[3] for row in rows}

    spend(3)
    spend(2, asset="", user="")  # outside any asset (a sensor)
    assert api_requests(warehouse).metadata["requests_added"] == 5
    assert api_requests(warehouse).metadata["rows_added"] == 0  # nothing new: nothing copied twice
    spend(4)  # the run went on after the copy
    assert api_requests(warehouse).metadata["requests_added"] == 4
    assert table() == {("old", "raw/liked_songs", "alice"): 4, ("r1", "spotify/liked_songs", "alice"): 7,
                       ("r1", "-", "-"): 2}
