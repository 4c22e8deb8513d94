"""The DuckDB SQL baseline of bench_rules builds the same tracklists as the Polars engine (the seeded
shuffle aside: it hashes with DuckDB's own function)."""

import duckdb
import polars as pl
import pytest
import yaml

from assets.playlists.rules import evaluate, parse_rules
from benchmarks.bench_rules import NOW, rule_file, shuffled, synthetic_features
from benchmarks.sql_rules import evaluate_sql, load

COLUMNS = ["child_playlist", "position", "track_uri", "track_id", "admitted_by"]


def both(frame: pl.DataFrame, text: str) -> tuple[pl.DataFrame, pl.DataFrame, list]:
    rules, _ = parse_rules(text).for_user("bench")
    fast = evaluate(frame, rules, user_id="bench", now=NOW).tracks.select(COLUMNS)
    with duckdb.connect() as con:
        load(con, frame, rules)
        slow = evaluate_sql(con, rules, user_id="bench", now=NOW).select(COLUMNS)
    return fast.cast({"position": pl.Int64}), slow.cast({"position": pl.Int64}), rules


def test_the_benchmark_rules_give_the_same_tracklists():
    fast, slow, rules = both(synthetic_features(3_000), rule_file(30))
    compared = [p.name for p in rules if p.name not in shuffled(30)]
    assert len(compared) >= 20
    for name in compared:
        expected = fast.filter(pl.col("child_playlist") == name).sort("position")
        assert slow.filter(pl.col("child_playlist") == name).sort("position").equals(expected), name


def test_include_exclude_and_the_passing_branches_of_any():
    frame = synthetic_features(500)
    first, second = frame["track_id"][0], frame["track_id"][1]
    text = yaml.safe_dump({"users": {"bench": [{
        "name": "picked", "include": [second, "spotify:track:not_held"], "exclude": [first],
        "filter": {"any": [{"field": "bpm", "op": "gt", "value": 150}, {"field": "genres", "op": "contains", "value": "rock"},
                           {"field": "liked_at", "op": "in_the_last", "value": "1y"}]},
        "sort": [{"field": "title"}], "dedupe": "title_artist", "limit": {"count": 40, "duration": "2 h"}}]}})
    fast, slow, _ = both(frame, text)
    assert slow.equals(fast)
    assert set(slow["track_uri"][:2]) == {f"spotify:track:{second}", "spotify:track:not_held"}  # included: first
    assert f"spotify:track:{first}" not in slow["track_uri"].to_list()
    assert slow["admitted_by"].str.contains(" and ").any()


@pytest.mark.parametrize("condition", [
    {"field": "release_date", "op": "between", "value": ["1990-01-01", "1999-12-31"]},
    {"field": "release_date", "op": "is", "value": "2001-05-01"},
    {"field": "added_at", "op": "before", "value": "2018-03-01T10:00:00"},
    {"field": "title", "op": "matches", "value": "^(love|fire) "},
    {"field": "tags", "op": "is_null"},
    {"field": "in_playlist", "op": "not_in_playlist", "value": ["p1", "Playlist 2"]},
    {"field": "duration", "op": "in", "value": [120, "3:30"]},
    {"field": "album_type", "op": "in", "value": ["Single", "compilation"]},
    {"field": "artist", "op": "ends_with", "value": "7"},
])
def test_each_kind_of_condition(condition):
    text = yaml.safe_dump({"users": {"bench": [{"name": "one", "filter": condition}]}})
    fast, slow, _ = both(synthetic_features(2_000), text)
    assert slow.equals(fast)
