"""Spotify objects into rows, faithfully: every awkward playlist entry, inline catalog objects."""

from datetime import datetime

from assets.spotify.parse import (
    artist_detail_row, playlist_item_row, playlist_listing, playlist_row, saved_entry, timestamp,
    track_object_row,
)

TRACK = {"type": "track", "id": "t1", "uri": "spotify:track:t1", "name": "Song", "duration_ms": 1000, "explicit": True,
         "external_ids": {"isrc": "SE1234567890"}, "track_number": 2, "disc_number": 1, "is_local": False,
         "artists": [{"id": "a1", "name": "Artist"}],
         "album": {"id": "al1", "name": "Album", "album_type": "album", "release_date": "1969-09",
                   "release_date_precision": "month", "total_tracks": 12, "artists": [{"id": "a2", "name": "Band"}]}}
LOCAL = {"type": "track", "id": None, "uri": "spotify:local:Me:Tapes:Demo:128", "name": "Demo", "is_local": True,
         "duration_ms": 128000, "artists": [{"id": None, "name": "Me"}], "album": {"id": None, "name": "Tapes"}}
EPISODE = {"type": "episode", "id": "e1", "uri": "spotify:episode:e1", "name": "Episode 1", "duration_ms": 5}
EMPTY_USER = {"id": "", "uri": "spotify:user:"}


def test_timestamps_are_naive_utc():
    assert timestamp("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10)
    assert timestamp(None) is None


def test_saved_track_reads_item_or_track():
    assert saved_entry({"added_at": "2024-05-01T10:00:00Z", "track": TRACK}).track_id == "t1"
    assert saved_entry({"added_at": "2024-05-01T10:00:00Z", "item": TRACK}).added_at == datetime(2024, 5, 1, 10)


def test_every_kind_of_playlist_entry_is_kept():
    entries = [
        {"added_at": "2024-05-02T10:00:00Z", "added_by": {"id": "alice"}, "is_local": False, "item": TRACK},
        {"added_at": None, "added_by": {"id": "alice"}, "is_local": False, "track": EPISODE},  # deprecated key only
        {"added_at": "2024-05-03T10:00:00Z", "added_by": {"id": "alice"}, "is_local": True, "item": LOCAL},
        {"added_at": "2019-01-01T00:00:00Z", "added_by": EMPTY_USER, "is_local": False, "item": None, "track": None},
        {"added_at": "2024-05-02T10:00:00Z", "added_by": {"id": "bob"}, "is_local": False, "item": TRACK},  # duplicate
    ]
    rows = [playlist_item_row(e, i) for i, e in enumerate(entries)]
    assert [r["item_type"] for r in rows] == ["track", "episode", "local", "unavailable", "track"]
    assert [r["track_id"] for r in rows] == ["t1", None, None, None, "t1"]
    assert rows[1]["episode_id"] == "e1" and rows[1]["added_at"] is None
    assert (rows[2]["local_name"], rows[2]["local_artist"], rows[2]["local_album"]) == ("Demo", "Me", "Tapes")
    assert rows[2]["uri"] == "spotify:local:Me:Tapes:Demo:128" and rows[2]["is_local"]
    assert rows[3]["added_by"] is None and rows[3]["uri"] is None
    assert [r["position"] for r in rows] == [0, 1, 2, 3, 4]


def test_catalog_rows_come_from_inline_objects_only_for_catalog_tracks():
    row = track_object_row(TRACK)
    assert (row["isrc"], row["album_id"], row["album_release_date"], row["artist_ids"], row["album_artist_ids"]) == \
        ("SE1234567890", "al1", "1969-09", ["a1"], ["a2"])
    assert row["popularity"] is None  # development mode has none
    assert track_object_row(LOCAL) is None and track_object_row(EPISODE) is None and track_object_row(None) is None
    detail = artist_detail_row({"id": "a1", "name": "Artist", "genres": ["rock"], "popularity": 70, "followers": {"total": 5}})
    assert detail == {"artist_id": "a1", "name": "Artist", "genres": ["rock"], "popularity": 70, "followers": 5}


def test_playlist_listing_reads_items_or_tracks_totals():
    obj = {"id": "p1", "name": "Mine", "snapshot_id": "s1", "owner": {"id": "alice", "display_name": "Alice"},
           "collaborative": False, "public": None, "description": None, "tracks": {"total": 7}}
    assert playlist_listing(obj).items_total == 7
    row = playlist_row({**obj, "items": {"total": 9}}, 3)
    assert (row["items_total"], row["list_position"], row["owner_name"]) == (9, 3, "Alice")
