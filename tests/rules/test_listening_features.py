"""Listening fields in track_features (sql/marts/track_features.sql), from a real warehouse: plays from every
source counted per track (a Last.fm play by its names), windows, last play and skip rate; ranks from the newest
day of each top list; a top track the user has not saved present with in_library false."""

import datetime as dt

import polars as pl

from assets.playlists.rules import parse_rules
from assets.playlists.rules.evaluator import evaluate
from assets.playlists.tracklists import FEATURES_SQL
from resources.warehouse import Warehouse

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)
TODAY = NOW.date()


def _warehouse(tmp_path) -> Warehouse:
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    warehouse.replace_partition("raw.liked_songs", "u", pl.DataFrame(
        {"track_id": ["t1", "t2"], "liked_at": [NOW - dt.timedelta(days=400)] * 2}))
    warehouse.replace_partition("raw.tracks", "u", pl.DataFrame(
        {"track_id": ["t1", "t2"], "name": ["Song A", "Song B"], "artist_ids": [["a1"], ["a2"]],
         "artist_names": [["Artist A"], ["Artist B"]]}))
    warehouse.replace_partition("marts.plays", "u", pl.DataFrame({
        "played_at": [NOW - dt.timedelta(days=d) for d in (1, 20, 100, 3)],
        "track_id": ["t1", "t1", "t1", None],
        "track_name": ["Song A", "Song A", "Song A", "song a "],
        "artist_name": ["Artist A", "Artist A", "Artist A", "ARTIST A"],
        "source": ["export", "export", "recently_played", "lastfm"],
        "skipped": [True, False, None, None]}))
    top = {"time_range": "short_term", "read_at": NOW}
    warehouse.replace_partition("raw.top_tracks", "u", pl.DataFrame([
        {**top, "day": TODAY - dt.timedelta(days=2), "rank": 1, "track_id": "t1"},  # an older day: not current
        {**top, "day": TODAY, "rank": 1, "track_id": "t2"},
        {**top, "day": TODAY, "rank": 2, "track_id": "t9", "name": "Unsaved", "artist_ids": ["a9"],
         "artist_names": ["Artist Nine"], "album_id": "al9", "album_name": "Nine", "album_type": "album"},
        {**top, "time_range": "long_term", "day": TODAY, "rank": 7, "track_id": "t1"}]))
    warehouse.replace_partition("raw.top_artists", "u", pl.DataFrame([
        {**top, "day": TODAY, "rank": 3, "artist_id": "a1"}]))
    return warehouse


def _features(warehouse: Warehouse) -> dict[str, dict]:
    rows = warehouse.query(f"select * from ({FEATURES_SQL.read_text().strip().rstrip(';')}) where user_id = ?", ["u"])
    return {r["track_id"]: r for r in rows.to_dicts()}


def test_plays_and_ranks_per_track(tmp_path):
    features = _features(_warehouse(tmp_path))
    one, two, unsaved = features["t1"], features["t2"], features["t9"]
    assert (one["play_count"], one["plays_last_7d"], one["plays_last_30d"], one["plays_last_90d"],
            one["plays_last_365d"]) == (4, 2, 3, 3, 4)
    assert one["last_played_at"] == NOW - dt.timedelta(days=1)
    assert one["skip_rate"] == 0.5  # one of the two plays whose source says
    assert (one["top_rank_short_term"], one["top_rank_long_term"], one["top_artist_rank_short_term"]) == (None, 7, 3)
    assert (two["play_count"], two["last_played_at"], two["skip_rate"], two["top_rank_short_term"]) == (0, None, None, 1)
    assert (unsaved["in_library"], unsaved["title"], unsaved["artist"], unsaved["album"], unsaved["top_rank_short_term"]) \
        == (False, "Unsaved", "Artist Nine", "Nine", 2)
    assert (one["in_library"], two["in_library"]) == (True, True)


def test_listening_rules_over_the_warehouse(tmp_path):
    features = pl.DataFrame(list(_features(_warehouse(tmp_path)).values()))
    playlists, errors = parse_rules("""\
users:
  u:
    - {name: On repeat, source: {top: tracks, range: short_term}, sort: [{field: top_rank_short_term}]}
    - {name: By top artists, source: {top: artists, range: short_term}}
    - name: Forgotten favourites
      source: liked
      filter: {all: [{field: play_count, op: gte, value: 4}, {field: last_played_at, op: not_in_the_last, value: 12 hours}]}
    - {name: Never played, source: liked, filter: {field: play_count, op: is, value: 0}}
""").for_user("u")
    assert errors == []
    result = evaluate(features, playlists, user_id="u", now=NOW)
    tracklists = {name: group["track_uri"].to_list()
                  for (name,), group in result.tracks.group_by("child_playlist", maintain_order=True)}
    assert tracklists == {"On repeat": ["spotify:track:t2", "spotify:track:t9"],
                          "By top artists": ["spotify:track:t1"],
                          "Forgotten favourites": ["spotify:track:t1"],
                          "Never played": ["spotify:track:t2"]}
