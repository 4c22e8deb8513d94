"""The Spotify assets through Dagster against the sandbox, in DuckDB and in Parquet on S3 (moto)."""

from __future__ import annotations

from assets.spotify import library_complete
from tests.ingest.conftest import expected_cold_requests, pages


def liked_now(ingest) -> list[tuple]:
    return ingest.sql("select track_id from liked_songs where user_id = 'alice' and unliked_at is null order by track_id")


def test_cold_sync_costs_exactly_the_minimum_and_fills_every_table(ingest):
    library = ingest.library()
    result = ingest.run()
    assert result.success
    assert ingest.spent() == expected_cold_requests(library, "alice")
    assert all(check.passed for check in result.get_asset_check_evaluations())
    sandbox_liked = sorted((s["track_id"],) for s in library["liked"]["alice"])
    assert liked_now(ingest) == sandbox_liked
    assert library_complete(ingest.warehouse, "alice")
    # metadata: requests by endpoint and the minimum
    meta = result.asset_materializations_for_node("raw__liked_songs")[0].metadata
    assert meta["spotify_requests"].value == pages(len(sandbox_liked)) == meta["minimum_requests"].value
    assert ingest.sql("select sum(requests) from api_requests where user_id = 'alice'")[0][0] == ingest.spent()


def test_warm_sync_with_no_change_costs_two_requests_and_changes_nothing(ingest):
    ingest.run()
    tables = ["liked_songs", "playlists", "playlist_items", "tracks", "albums", "artists"]
    snapshot = {t: ingest.sql(f"select * exclude (fetched_at) from {t} order by all") if t == "playlists"
                else ingest.sql(f"select * from {t} order by all") for t in tables}
    ingest.reset()
    assert ingest.run().success
    assert ingest.spent() <= 2
    again = {t: ingest.sql(f"select * exclude (fetched_at) from {t} order by all") if t == "playlists"
             else ingest.sql(f"select * from {t} order by all") for t in tables}
    assert again == snapshot


def test_every_awkward_item_kind_survives(ingest):
    ingest.run()
    library = ingest.library()
    readable = [p for p in library["playlists"] if p["owner"] == "alice" or "alice" in p["collaborators"]]
    for playlist in readable:
        rows = ingest.sql("select position, item_type, track_id, episode_id, added_at, added_by, local_name "
                          "from playlist_items where user_id = 'alice' and playlist_id = ? order by position", [playlist["id"]])
        assert len(rows) == len(playlist["items"])
        for row, item in zip(rows, playlist["items"]):
            kind = ("unavailable" if item.get("unavailable") else "local" if item.get("local")
                    else "episode" if item.get("episode_id") else "track")
            assert row[1] == kind
            assert row[2] == item.get("track_id") and row[3] == (item.get("episode_id") if kind == "episode" else None)
            assert (row[4] is None) == (item["added_at"] is None)
            assert row[6] == (item["local"]["name"] if kind == "local" else None)
    kinds = {r[0] for r in ingest.sql("select distinct item_type from playlist_items")}
    assert kinds == {"track", "episode", "local", "unavailable"}
    duplicates = ingest.sql("select count(*) from (select playlist_id, track_id from playlist_items "
                            "where track_id is not null group by all having count(*) > 1)")[0][0]
    assert duplicates > 0
    followed = [p["id"] for p in library["playlists"] if "alice" in p["followers"]]
    assert followed and ingest.sql("select count(*) from playlists where not readable and unreadable_reason is not null")[0][0] == len(followed)
