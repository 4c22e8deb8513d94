"""A cold sync killed part-way resumes where it stopped: the pages it fetched were committed (liked songs
every 10 pages, playlist items page by page), so the killed run plus the resumed one cost the minimum
plus one head check (and the one request the kill cut off in flight, whose answer never arrived).

A run killed while reading playlist items resumes from the listing it started from (it is recent), so
it does not list the playlists again; a resumption later than `LISTING_REUSE_WINDOW` lists them again
and reads anew a playlist whose snapshot moved meanwhile."""

from __future__ import annotations

import pytest

from assets.spotify.sync_plan import LISTING_REUSE_WINDOW
from tests.ingest.conftest import expected_cold_requests, pages
from tests.ingest.test_ingest_e2e import assert_tables_equal_library
from tests.lifecycle.test_killed_run import SAVED, Env

LIKED_PAGES = 100
ITEMS = "GET /v1/playlists/{playlist_id}/items"
LISTING = "GET /v1/me/playlists"


def test_a_cold_sync_killed_at_90_percent_resumes_with_one_head_check(tmp_path, monkeypatch):
    env = Env(tmp_path, monkeypatch, liked=LIKED_PAGES * 50)
    try:
        minimum = expected_cold_requests(env.ingest.library(), "alice")
        env.ingest.reset()
        # pages 1-90 answered (committed at 10, 20, ..., 90), the 91st held in flight when the kill comes
        env.kill_at(SAVED, 91, "--stage", "ingest")
        killed = env.ingest.spent()
        assert killed == 91
        env.ingest.reset()
        env.mixtape("--stage", "ingest")
        resumed = env.ingest.spent()
        answered = killed - 1  # the held request never returned a page
        assert answered + resumed == minimum + 1  # + the head check of the resumption
        assert env.ingest.sql("select count(*) from liked_songs")[0][0] == LIKED_PAGES * 50
        assert env.ingest.sql("select count(*) from raw.liked_songs_held")[0][0] == 0
    finally:
        env.stop()


def readable(library: dict) -> list[dict]:
    """alice's readable playlists in the order the listing gives them (the order their items are read)."""
    return [p for p in library["playlists"] if p["owner"] == "alice" or "alice" in p["collaborators"]]


def biggest(library: dict) -> tuple[dict, int, int]:
    """The biggest readable playlist, the item pages read before it, and those read after it."""
    playlists = readable(library)
    big = max(playlists, key=lambda p: len(p["items"]))
    at = playlists.index(big)
    return (big, sum(pages(len(p["items"])) for p in playlists[:at]),
            sum(pages(len(p["items"])) for p in playlists[at + 1:]))


def test_a_cold_sync_killed_mid_playlist_items_resumes_with_one_head_check(tmp_path, monkeypatch):
    clean, killed = Env(tmp_path / "clean", monkeypatch), Env(tmp_path / "killed", monkeypatch)
    try:
        clean.mixtape("--stage", "ingest")
        library = killed.ingest.library()
        minimum = expected_cold_requests(library, "alice")
        big, before, after = biggest(library)
        assert pages(len(big["items"])) >= 10
        killed.ingest.reset()
        killed.kill_at(ITEMS, before + 7, "--stage", "ingest")  # 6 of the big playlist's pages answered, the 7th held
        answered = killed.ingest.spent() - 1  # the held request never returned a page
        assert killed.ingest.sql("select count(*) from raw.playlist_items_staging where playlist_id = ?",
                                 [big["id"]])[0][0] == 6 * 50
        killed.ingest.reset()
        killed.mixtape("--stage", "ingest")
        resumed = killed.ingest.api_requests()
        assert answered + sum(resumed.values()) == minimum + 1  # + the liked-songs head check
        assert resumed == {SAVED: 1, ITEMS: pages(len(big["items"])) - 6 + after}  # no listing again
        assert killed.tables() == clean.tables()
        assert killed.ingest.sql("select count(*) - count(distinct track_id) from raw.playlist_track_objects")[0][0] == 0
    finally:
        clean.stop()
        killed.stop()


def crash_at_item_page(ingest, nth: int) -> int:
    """Run the ingest until Spotify refuses its `nth` items request with a 400, which the run does not
    survive: what it committed is what a kill there leaves. Returns the requests answered."""
    ingest.sandbox.sandbox.add_faults([{"route": ITEMS, "times": nth - 1, "status": 200},
                                       {"route": ITEMS, "times": 1, "status": 400}])
    with pytest.raises(Exception, match="400|Bad|bad"):
        ingest.run()
    ingest.sandbox.sandbox.faults.clear()
    return ingest.spent() - 1


def staged(ingest, playlist_id: str) -> int:
    return ingest.sql("select count(*) from raw.playlist_items_staging where playlist_id = ?", [playlist_id])[0][0]


def test_a_crashed_items_read_resumes_after_its_last_page_in_either_storage(ingest):
    library = ingest.library()
    big, before, after = biggest(library)
    answered = crash_at_item_page(ingest, before + 3)  # 2 of the big playlist's pages read
    assert staged(ingest, big["id"]) == 100
    ingest.reset()
    result = ingest.run()
    assert result.success and all(check.passed for check in result.get_asset_check_evaluations())
    assert ingest.api_requests() == {SAVED: 1, ITEMS: pages(len(big["items"])) - 2 + after}
    assert answered + ingest.spent() == expected_cold_requests(library, "alice") + 1
    assert "reused_listing_of" in result.asset_materializations_for_node("playlists")[0].metadata
    assert_tables_equal_library(ingest, library)
    assert staged(ingest, big["id"]) == 0
    assert ingest.sql("select count(*) - count(distinct track_id) from raw.playlist_track_objects")[0][0] == 0


def edit(ingest, playlist_id: str) -> dict:
    """alice removes the first entry of a playlist (its snapshot moves)."""
    library = ingest.library()
    [playlist] = [p for p in library["playlists"] if p["id"] == playlist_id]
    playlist["items"].pop(0)
    ingest.load(library)
    return library


def test_a_playlist_edited_before_a_late_resume_is_read_anew(ingest):
    big, before, after = biggest(ingest.library())
    crash_at_item_page(ingest, before + 2)
    library = edit(ingest, big["id"])
    ingest.clock.advance(LISTING_REUSE_WINDOW.total_seconds())
    ingest.reset()
    result = ingest.run()
    assert result.success
    assert result.asset_materializations_for_node("playlist_items")[0].metadata["playlists_restarted"].value == 1
    listing = pages(len([p for p in library["playlists"] if "alice" in [p["owner"], *p["collaborators"], *p["followers"]]]))
    assert ingest.api_requests() == {SAVED: 1, LISTING: listing, ITEMS: pages(len(big["items"]) - 1) + after}
    assert_tables_equal_library(ingest, library)
    assert staged(ingest, big["id"]) == 0


def test_a_playlist_edited_before_a_prompt_resume_is_read_anew_at_the_next_listing(ingest):
    big, before, after = biggest(ingest.library())
    crash_at_item_page(ingest, before + 2)
    library = edit(ingest, big["id"])
    ingest.reset()
    assert ingest.run().success  # reads on from the stored listing, as a run that lasted this long would have
    assert LISTING not in ingest.api_requests()
    ingest.reset()
    assert ingest.run().success
    assert ingest.api_requests()[ITEMS] == pages(len(big["items"]) - 1)  # the listing shows the new snapshot
    assert_tables_equal_library(ingest, library)
