"""The Spotify assets through Dagster against the sandbox, in DuckDB and in Parquet on S3 (moto)."""

from __future__ import annotations

from assets.ops.api_requests import api_requests
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
    meta = result.asset_materializations_for_node("liked_songs")[0].metadata
    assert meta["spotify_requests"].value == pages(len(sandbox_liked)) == meta["minimum_requests"].value
    api_requests(ingest.warehouse)  # the request ledger copied into ops.api_requests
    assert ingest.sql("select sum(requests) from api_requests where user_id = 'alice' and run_id = ?",
                      [result.run_id])[0][0] == ingest.spent()


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


# -- changes between runs ----------------------------------------------------------------------------


def later(minutes: int) -> str:
    return f"2026-11-1{5 + minutes // 1440}T{(minutes // 60) % 24:02d}:{minutes % 60:02d}:00Z"


def like(library: dict, count: int, start_minute: int = 0) -> list[str]:
    liked = {s["track_id"] for s in library["liked"]["alice"]}
    fresh = [t["id"] for t in library["tracks"] if t["id"] not in liked][:count]
    library["liked"]["alice"] += [{"track_id": t, "added_at": later(start_minute + i)} for i, t in enumerate(fresh)]
    return fresh


def own_playlists(library: dict) -> list[dict]:
    return [p for p in library["playlists"] if p["owner"] == "alice"]


def assert_tables_equal_library(ingest, library: dict) -> None:
    liked = sorted((s["track_id"], s["added_at"][:19].replace("T", " ")) for s in library["liked"]["alice"])
    held = ingest.sql("select track_id, strftime(liked_at, '%Y-%m-%d %H:%M:%S') from liked_songs "
                      "where user_id = 'alice' and unliked_at is null order by all")
    assert held == liked
    readable = [p for p in library["playlists"] if p["owner"] == "alice" or "alice" in p["collaborators"]]
    expected = sorted((p["id"], i, item.get("track_id")) for p in readable for i, item in enumerate(p["items"]))
    assert ingest.sql("select playlist_id, position, track_id from playlist_items where user_id = 'alice' "
                      "order by all") == expected
    listed = sorted(p["id"] for p in library["playlists"] if "alice" in [p["owner"], *p["collaborators"], *p["followers"]])
    assert [r[0] for r in ingest.sql("select playlist_id from playlists where user_id = 'alice' order by 1")] == listed


def test_new_likes_cost_their_pages_and_an_edited_playlist_its_own(ingest):
    ingest.run()
    library = ingest.library()
    for k, start in [(3, 0), (120, 100)]:
        like(library, k, start)
        ingest.load(library)
        ingest.reset()
        assert ingest.run().success
        assert ingest.spent() == 1 + pages(k + 1)  # the listing, and the pages holding the new likes
    playlist = max(own_playlists(library), key=lambda p: len(p["items"]))
    playlist["items"].append({"track_id": library["tracks"][0]["id"], "added_at": later(900), "added_by": "alice"})
    ingest.load(library)
    ingest.reset()
    assert ingest.run().success
    assert ingest.api_requests() == {"GET /v1/me/tracks": 1, "GET /v1/me/playlists": 1,
                                     "GET /v1/playlists/{playlist_id}/items": pages(len(playlist["items"]))}
    assert_tables_equal_library(ingest, library)


def test_unlike_relike_item_edits_and_playlist_changes_are_reflected(ingest):
    ingest.run()
    library = ingest.library()
    gone = library["liked"]["alice"][5]["track_id"], library["liked"]["alice"][77]["track_id"]
    library["liked"]["alice"] = [s for s in library["liked"]["alice"] if s["track_id"] not in gone]
    edited, deleted = own_playlists(library)[:2]
    edited["items"] = list(reversed(edited["items"]))[1:]  # reorder and remove one
    library["playlists"].remove(deleted)
    library["playlists"].append({"id": "0newPlaylist0000000000", "name": "New", "owner": "alice", "collaborative": False,
                                 "public": False, "description": "", "collaborators": [], "followers": [],
                                 "items": [{"track_id": gone[0], "added_at": None, "added_by": "alice"}]})
    ingest.load(library)
    assert ingest.run().success
    assert_tables_equal_library(ingest, library)
    assert ingest.sql("select count(*) from liked_songs where unliked_at is not null")[0][0] == 2
    library["liked"]["alice"].append({"track_id": gone[0], "added_at": later(2000)})  # re-like
    ingest.load(library)
    assert ingest.run().success
    assert_tables_equal_library(ingest, library)
    assert ingest.sql("select like_count, unliked_at is null from liked_songs where track_id = ?", [gone[0]]) == [(2, True)]
    assert ingest.sql("select count(*) from liked_songs where track_id = ?", [gone[1]]) == [(1,)]  # history kept
