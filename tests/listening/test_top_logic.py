"""Top items, pure: due ranges (the 24-hour cooldown), rows from Spotify objects, history per day, and
top albums derived from top tracks."""

from datetime import date, datetime, timedelta

import pytest

from assets.listening.top_logic import RANGES, artist_rows, due_ranges, top_albums, track_rows, with_history

NOW = datetime(2026, 12, 2, 12, 0)
TTL = timedelta(hours=24)


def test_only_ranges_never_read_or_stale_are_due():
    assert due_ranges({}, NOW, TTL) == list(RANGES)
    fresh = {r: NOW - timedelta(hours=23, minutes=59) for r in RANGES}
    assert due_ranges(fresh, NOW, TTL) == []
    mixed = {**fresh, "medium_term": NOW - TTL}
    assert due_ranges(mixed, NOW, TTL) == ["medium_term"]


def test_rows_rank_in_spotifys_order():
    track = {"id": "t1", "name": "Song", "artists": [{"id": "a1", "name": "Band"}, {"id": "a2", "name": "Guest"}],
             "album": {"id": "al1", "name": "LP", "album_type": "album"}}
    rows = track_rows([track, {**track, "id": "t2", "popularity": 40}], "short_term", NOW)
    assert [(r["rank"], r["track_id"], r["popularity"]) for r in rows] == [(1, "t1", None), (2, "t2", 40)]
    assert rows[0]["artist_names"] == ["Band", "Guest"] and rows[0]["album_type"] == "album"
    assert rows[0]["day"] == date(2026, 12, 2) and rows[0]["read_at"] == NOW
    artists = artist_rows([{"id": "a1", "name": "Band"}, {"id": "a2", "name": "Guest", "genres": ["rock"]}], "long_term", NOW)
    assert [(r["rank"], r["genres"]) for r in artists] == [(1, []), (2, ["rock"])]


def test_a_read_replaces_only_its_ranges_of_its_day():
    day, before = date(2026, 12, 2), date(2026, 12, 1)
    old = [{"time_range": r, "day": d, "rank": 1} for r in RANGES for d in (before, day)]
    new = [{"time_range": "short_term", "day": day, "rank": 1, "fresh": True}]
    kept = with_history(old, new, ["short_term"], day)
    assert len(kept) == 6 and new[0] in kept
    assert [r for r in kept if r["time_range"] == "short_term" and r["day"] == day] == new
    assert sum(r["day"] == before for r in kept) == 3


def tracks(*rows, time_range="short_term", day=date(2026, 12, 2)):
    """Top-track rows from (album_id, album_type, popularity) in rank order."""
    return [{"time_range": time_range, "day": day, "rank": rank, "album_id": album, "album_name": album.upper(),
             "album_type": kind, "artist_names": ["X"], "popularity": popularity, "read_at": NOW}
            for rank, (album, kind, popularity) in enumerate(rows, start=1)]


def test_development_mode_albums_rank_by_rank_weight():
    # four tracks: weights 4/4, 3/4, 2/4, 1/4; b has ranks 2 and 4 (1.0), a rank 1 (1.0), tie -> best track first
    albums = top_albums(tracks(("a", "album", None), ("b", "album", None), ("s", "single", None), ("b", "album", None)))
    assert [(a["rank"], a["album_id"], a["score"], a["top_tracks"], a["best_track_rank"]) for a in albums] == [
        (1, "a", 1.0, 1, 1), (2, "b", 1.0, 2, 2)]
    assert {a["scored_by"] for a in albums} == {"rank"}


def test_albums_weigh_popularity_where_every_track_has_it():
    albums = top_albums(tracks(("a", "album", 10), ("b", "compilation", 90)))
    assert [(a["album_id"], a["score"]) for a in albums] == [("b", pytest.approx(0.45)), ("a", pytest.approx(0.1))]
    assert {a["scored_by"] for a in albums} == {"rank_and_popularity"}
    partly = top_albums(tracks(("a", "album", 10), ("b", "album", None)))
    assert [a["album_id"] for a in partly] == ["a", "b"] and {a["scored_by"] for a in partly} == {"rank"}


def test_each_range_and_day_ranks_its_own_albums():
    rows = tracks(("a", "album", None), ("b", "album", None)) + tracks(("b", "album", None), time_range="long_term")
    rows += tracks(("b", "album", None), ("a", "album", None), day=date(2026, 12, 3))
    albums = top_albums(rows)
    firsts = {(a["time_range"], a["day"]): a["album_id"] for a in albums if a["rank"] == 1}
    assert firsts == {("short_term", date(2026, 12, 2)): "a", ("long_term", date(2026, 12, 2)): "b",
                      ("short_term", date(2026, 12, 3)): "b"}
    assert top_albums([]) == []
