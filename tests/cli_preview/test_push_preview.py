"""What a push would spend, worked out from the warehouse's state as `push_child` decides it: finding the
playlist, renaming it, reading it unless untouched since the last push, the plan's writes, the guardrail."""

import datetime as dt
import json

from assets.playlists.push import NO_LISTING, Listing, marker_of, tracklist_hash
from assets.playlists.push_preview import Stored, preview_push

PUSHED = dt.datetime(2026, 11, 30, 9, 0)
TRACKS = [f"spotify:track:t{n:03d}" for n in range(120)]


def managed(tracklist: list[str], **fields) -> dict[int, dict]:
    return {1: {"child_id": "Gym", "part": 1, "playlist_id": "p1", "name": "Gym", "marker": marker_of("u", "Gym"),
                "tracklist": json.dumps(tracklist), "tracklist_hash": tracklist_hash(tracklist),
                "snapshot_id": "s1", "pushed_at": PUSHED, "rule_hash": "r1", **fields}}


def listing(snapshot: str = "s1", hours_after_push: float = 1, marked: dict | None = None) -> Listing:
    return Listing({"p1": snapshot}, PUSHED + dt.timedelta(hours=hours_after_push), marked or {})


def test_a_new_playlist_costs_its_create_and_one_add_per_hundred_tracks():
    push = preview_push("u", "Gym", "Gym", TRACKS, {}, NO_LISTING, {}, "r1")
    assert push.created and push.total("adds") == 120 and push.requests == 1 + 2


def test_a_playlist_untouched_since_the_push_is_planned_from_what_was_pushed_without_a_request():
    push = preview_push("u", "Gym", "Gym", TRACKS + ["spotify:track:new"], managed(TRACKS), listing(), {}, "r1")
    assert (push.total("adds"), push.total("removes"), push.total("moves")) == (1, 0, 0)
    assert push.requests == 1  # the append alone


def test_a_listing_older_than_the_push_costs_the_read_of_its_snapshot():
    push = preview_push("u", "Gym", "Gym", TRACKS, managed(TRACKS), listing(hours_after_push=-1), {}, "r1")
    assert push.requests == 1 and push.total("kept") == 120


def test_a_playlist_changed_on_spotify_is_read_page_by_page_and_planned_from_what_ingestion_saw():
    seen = TRACKS[:100] + ["spotify:track:foreign"]
    push = preview_push("u", "Gym", "Gym", TRACKS, managed(TRACKS), listing("s2"), {"p1": Stored("s2", seen)}, "r1")
    assert (push.total("current"), push.total("adds"), push.total("removes")) == (101, 20, 1)
    assert push.parts[0].setup == 3  # 101 items in pages of 50


def test_a_renamed_rule_costs_the_rename():
    push = preview_push("u", "Gym", "Gym", TRACKS, managed(TRACKS, name="Old gym"), listing(), {}, "r1")
    assert push.requests == 1 and push.parts[0].writes == 0


def test_a_lost_warehouse_adopts_the_playlist_carrying_the_marker_and_reads_it():
    marked = listing(marked={marker_of("u", "Gym"): "p1"})
    push = preview_push("u", "Gym", "Gym", TRACKS, {}, marked, {"p1": Stored("s1", TRACKS[:60])}, "r1")
    assert push.parts[0].found == "adopted" and push.total("adds") == 60
    assert push.requests == 2 + 1  # two pages read, one append


def test_a_shrink_under_an_unchanged_rule_is_refused_and_spends_only_the_setup():
    push = preview_push("u", "Gym", "Gym", TRACKS[:10], managed(TRACKS), listing(hours_after_push=-1), {}, "r1")
    assert push.refused and push.total("removes") == 110 and push.requests == 1
    changed = preview_push("u", "Gym", "Gym", TRACKS[:10], managed(TRACKS), listing(), {}, "r2")
    assert not changed.refused and changed.requests == 2  # the rule changed: two removals of up to 100


def test_local_files_are_left_out_and_counted():
    push = preview_push("u", "Gym", "Gym", ["spotify:local:a:b:c:1", *TRACKS[:3]], {}, NO_LISTING, {}, None)
    assert (push.unpushable, push.target, push.total("adds")) == (1, 3, 3)
