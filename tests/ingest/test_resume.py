"""A cold sync larger than the day's quota completes over days, fetching nothing twice."""

from __future__ import annotations

import math

import pytest

from assets.spotify import library_complete
from sandbox.generator import generate_library
from resources.warehouse import Warehouse
from tests.ingest.conftest import expected_cold_requests, pages, start
from tests.ingest.test_ingest_e2e import assert_tables_equal_library, later

QUOTA = 300
TABLES = {
    "liked_songs": "select user_id, track_id, liked_at, unliked_at, first_liked_at, like_count from liked_songs",
    "playlists": "select user_id, playlist_id, name, owner_id, snapshot_id, collaborative, readable, managed from playlists",
    "playlist_items": "select * from playlist_items",
    "tracks": "select * from tracks", "albums": "select * from albums", "artists": "select * from artists",
}


def big_library(big_playlist: int | None = None):
    return generate_library(seed=5, users=["alice", "bob"], liked=20_000, playlists=10, big_playlist=big_playlist)


def tables(ingest) -> dict[str, list[tuple]]:
    return {name: ingest.sql(f"{sql} order by all") for name, sql in TABLES.items()}


@pytest.fixture
def quota_ingest(tmp_path, monkeypatch, request):
    running = start(big_library(request.param), tmp_path, monkeypatch,
                    Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")), quota_per_day=QUOTA)
    running.clock.to_midday()
    yield running
    running.sandbox.stop()


def sync_day_by_day(ingest, between_days=None, max_days: int = 10) -> list[dict]:
    """Run once a day until the library is complete; per day: requests spent and what the runs reported."""
    days = []
    while len(days) < max_days:
        ingest.reset()
        result = ingest.run()
        assert result.success
        liked = result.asset_materializations_for_node("liked_songs")[0].metadata
        listing = result.asset_materializations_for_node("playlists")[0].metadata
        items = result.asset_materializations_for_node("playlist_items")[0].metadata
        days.append({"spent": ingest.spent(), "probes": liked["located_removal_requests"].value,
                     "listed": "stopped" not in listing, "progress": liked["progress"].value,
                     "library_progress": items["library_progress"].value})
        assert days[-1]["spent"] <= QUOTA
        if library_complete(ingest.warehouse, "alice"):
            return days
        ingest.next_day()
        if between_days:
            between_days(ingest, len(days))
    raise AssertionError(f"not complete after {max_days} days: {days}")


def head_checks(days: list[dict]) -> int:
    """What each resumption re-reads: the liked-songs head page, and the playlist listing once it was done."""
    listed_before = [any(d["listed"] for d in days[:i]) for i in range(len(days))]
    return sum(1 + (1 if listed_before[i] else 0) for i in range(1, len(days)))


@pytest.mark.parametrize("quota_ingest", [None, 12_000], indirect=True, ids=["2-days", "3-days-half-read-playlist"])
def test_cold_sync_over_days_costs_the_minimum_plus_head_checks(quota_ingest, tmp_path, monkeypatch):
    library = quota_ingest.library()
    minimum = expected_cold_requests(library, "alice")
    days = sync_day_by_day(quota_ingest)
    assert len(days) == math.ceil(minimum / QUOTA)
    assert sum(d["spent"] for d in days) == minimum + head_checks(days)
    assert "pages fetched, expected done by" in days[0]["progress"]
    assert "expected done by" in days[0]["library_progress"] and days[-1]["library_progress"].endswith("complete")
    assert_tables_equal_library(quota_ingest, library)

    (tmp_path / "unlimited").mkdir()
    unlimited = start(big_library(12_000 if len(days) == 3 else None), tmp_path / "unlimited", monkeypatch,
                      Warehouse(storage="duckdb", data_dir=str(tmp_path / "unlimited" / "data")))
    try:
        assert unlimited.run().success and unlimited.spent() == minimum
        assert tables(unlimited) == tables(quota_ingest)
    finally:
        unlimited.sandbox.stop()


@pytest.mark.parametrize("quota_ingest", [None], indirect=True)
def test_likes_added_and_removed_between_days_are_neither_fetched_twice_nor_missed(quota_ingest):
    def change(ingest, day: int) -> None:
        if day != 1:
            return
        library = ingest.library()
        saved = sorted(library["liked"]["alice"], key=lambda s: s["added_at"], reverse=True)
        removed = {saved[i]["track_id"] for i in (40, 9_000, 16_000, 17_500, 19_999)}  # 2 read on day 1, 3 not yet
        library["liked"]["alice"] = [s for s in saved if s["track_id"] not in removed]
        liked = {s["track_id"] for s in saved}
        fresh = [t["id"] for t in library["tracks"] if t["id"] not in liked][:37]
        library["liked"]["alice"] += [{"track_id": t, "added_at": later(i)} for i, t in enumerate(fresh)]
        ingest.load(library)

    days = sync_day_by_day(quota_ingest, between_days=change)
    final = quota_ingest.library()
    assert len(final["liked"]["alice"]) == 20_000 + 37 - 5
    assert_tables_equal_library(quota_ingest, final)
    probes = sum(d["probes"] for d in days)
    # every page of the final library once; the only extra requests locate the 2 removals among pages already read
    assert sum(d["spent"] for d in days) == expected_cold_requests(final, "alice") + probes
    assert probes <= 2 * math.ceil(math.log2(pages(15_000)))
    assert quota_ingest.sql("select count(*) from liked_songs")[0][0] == len(final["liked"]["alice"])
