"""Push reuses the snapshot from ingestion's /me/playlists listing only when it was read after the last push."""

from datetime import datetime

from assets.playlists.push import Listing

PUSHED = {"playlist_id": "p1", "pushed_at": datetime(2026, 1, 1, 12, 0)}


def test_listing_read_after_the_push_gives_the_snapshot():
    assert Listing({"p1": "s9"}, datetime(2026, 1, 1, 12, 5)).snapshot_since(PUSHED) == "s9"


def test_listing_read_before_the_push_is_not_trusted():
    assert Listing({"p1": "s9"}, datetime(2026, 1, 1, 11, 55)).snapshot_since(PUSHED) is None


def test_playlist_missing_from_the_listing_is_checked_with_spotify():
    assert Listing({"p2": "s1"}, datetime(2026, 1, 1, 12, 5)).snapshot_since(PUSHED) is None


def test_never_pushed_or_never_listed():
    assert Listing({"p1": "s9"}, None).snapshot_since(PUSHED) is None
    assert Listing({"p1": "s9"}, datetime(2026, 1, 2)).snapshot_since({"playlist_id": "p1", "pushed_at": None}) is None
