"""`mixtape status` over a real DuckDB warehouse, a real request ledger and a rule file, by a frozen clock:
every line it prints, exactly."""

import textwrap
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from assets.playlists.sync_events import COMPLETED, FAILED, finish_event, record_plans, start_event, to_frame
from assets.playlists.plan import plan_push, Item
from pipelines.commands.status import report
from resources.clock import Clock
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

NOW = datetime(2026, 5, 2, 12, 0)
RULES = """\
defaults:
  - name: Fast
    filter: {field: bpm, op: gt, value: 150}
users:
  alice:
    - name: Typo
      filter: {field: bmp, op: gt, value: 100}
    - name: From a playlist she lacks
      source: {playlist: Nope}
"""


@pytest.fixture
def seeded(tmp_path):
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    warehouse.replace_partition("raw.liked_songs", "alice", pl.DataFrame([
        {"track_id": "t1", "liked_at": NOW - timedelta(days=3), "last_seen_at": NOW - timedelta(hours=30)},
        {"track_id": "t2", "liked_at": NOW - timedelta(days=4), "last_seen_at": NOW - timedelta(hours=31)},
        {"track_id": "t3", "liked_at": NOW - timedelta(days=5), "unliked_at": NOW - timedelta(days=1)}]))
    warehouse.replace_partition("raw.playlists", "alice", pl.DataFrame([
        {"playlist_id": "p1", "name": "Gym", "readable": True, "fetched_at": NOW - timedelta(hours=2)},
        {"playlist_id": "p2", "name": "Followed", "readable": False, "fetched_at": NOW - timedelta(hours=2)}]))
    warehouse.replace_partition("raw.playlist_items", "alice", pl.DataFrame([
        {"playlist_id": "p1", "position": n, "item_type": "track", "track_id": f"t{n}"} for n in range(4)]))
    warehouse.replace_partition("ops.sync_events", "alice", to_frame(events()))
    warehouse.replace_table("enrich.deezer_tracks", pl.DataFrame([
        cached("A", "hit", NOW - timedelta(days=3), timedelta(days=90)),
        cached("B", "hit", NOW - timedelta(days=100), timedelta(days=90)),  # past its TTL: due
        cached("C", "miss", NOW - timedelta(minutes=2), timedelta(minutes=5)),
        cached("D", "error", NOW - timedelta(minutes=1), timedelta(0))]))
    spotify = SpotifyResource(data_dir=str(tmp_path), clock=Clock(frozen_at=NOW.isoformat()), budget_per_day=100)
    for _ in range(7):
        spotify.ledger.reserve(client_id=spotify.app_client_id, user="alice", endpoint="GET /v1/me/tracks",
                               run_id="r1", now=NOW.replace(tzinfo=UTC).timestamp() - 60, budget_per_day=100)
    rules = tmp_path / "playlists.yaml"
    rules.write_text(textwrap.dedent(RULES))
    return warehouse, spotify, rules


def cached(isrc: str, status: str, fetched: datetime, ttl: timedelta) -> dict:
    return {"isrc": isrc, "status": status, "source": "deezer", "fetched_at": fetched, "expires_at": fetched + ttl,
            "bpm": 120.0 if status == "hit" else None}


def events() -> list[dict]:
    """Three pushes: an append, a failure, then a diff an hour ago."""
    made = []
    for n, (child, status, plan) in enumerate([("Fast", COMPLETED, plan_push([], ["spotify:track:a"] * 3)),
                                               ("Fast", FAILED, None),
                                               ("Slow", COMPLETED, plan_push([Item("spotify:track:a"), Item("spotify:track:b")],
                                                                             ["spotify:track:b", "spotify:track:c"]))]):
        started = NOW - timedelta(hours=3 - n)
        event = start_event("alice", child, started, base_source="library", run_id=f"run{n}")
        if plan is not None:
            event = record_plans(event, [plan])
        error = "SpotifyUnavailable: 502 from Spotify" if status == FAILED else None
        made.append(finish_event(event, status, started + timedelta(seconds=5), tracks=3 if plan else 0,
                                 api_requests=plan.requests + 1 if plan else 1,
                                 write_requests=plan.requests if plan else 0, error=error))
    return made


def test_every_line_of_the_status(seeded):
    warehouse, spotify, rules = seeded
    lines = report(warehouse, spotify, rules, None, 2, "devmode")
    assert lines == [
        f"warehouse: {warehouse.database_path}",
        "Spotify budget (mixtape-sandbox): 93 of 100 Spotify requests left today; 7 spent today; "
        "refills at 2026-05-03 00:00 UTC (in 12h 0m)",
        f"rule file: {rules}",
        "enrichment caches (shared by every user)",
        "  musicbrainz_recordings  empty (hits live 30d)",
        "  deezer_tracks           4 rows: 2 hits, 1 misses, 1 errors; oldest hit 100d 0h ago (TTL 90d: stale); "
        "newest 1m ago; 2 due for a refresh",
        "  lastfm_tracks           empty (hits live 7d)",
        "  lastfm_artists          empty (hits live 7d)",
        "",
        "alice  (no token: run `mixtape login --user alice`)",
        "  liked songs     2 liked, 3 ever; synced 1d 6h ago (TTL 1d: stale)",
        "  playlists       2 (1 readable), 4 items; synced 2h 0m ago (TTL 1d: fresh)",
        "  requests today  7",
        "  rules           1 child playlist(s) valid, 2 invalid",
        f"    'From a playlist she lacks': {rules}:9: users.alice[1].source.playlist: unknown playlist "
        "(give an id or the exact name) (got 'Nope')",
        f"    'Typo': {rules}:7: users.alice[0].filter.field: unknown field 'bmp' (got 'bmp'); did you mean 'bpm'?",
        "  sync events     3 (the last 2, newest first)",
        "    2026-05-02 11:00:00 'Slow' completed 59m ago; diff: +1 -1 ~0; 3 tracks; 3 requests (2 writes, -1 saved)",
        "    2026-05-02 10:00:00 'Fast' failed 1h 59m ago; no plan: +0 -0 ~0; 0 tracks; 1 requests (0 writes, 0 saved); "
        "SpotifyUnavailable: 502 from Spotify",
        "    ... and 1 earlier (--events N shows more, --events 0 all)",
    ]


def test_events_zero_shows_every_event(seeded):
    warehouse, spotify, rules = seeded
    lines = report(warehouse, spotify, rules, ["alice"], 0, "devmode")
    assert "  sync events     3 (newest first)" in lines
    assert lines[-1] == ("    2026-05-02 09:00:00 'Fast' completed 2h 59m ago; append: +3 -0 ~0; 3 tracks; "
                         "2 requests (1 writes, 0 saved)")
