"""Which included tracks are known without a request: the user's inline objects first, then any user's
row stored before (a 404 included); only the rest is fetched."""

import datetime as dt

import duckdb
import polars as pl

from assets.playlists.included import FETCHED, INCLUDED_TABLE, INLINE, UNAVAILABLE, included_ids, known_rows
from assets.playlists.rules import parse_rules
from resources.warehouse import Warehouse, polars_schema

AT = dt.datetime(2026, 11, 1)


def _stored(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=polars_schema(INCLUDED_TABLE))


def test_inline_objects_and_earlier_answers_are_reused_and_only_the_rest_is_fetched():
    playlists, _ = parse_rules("""\
users:
  u:
    - {name: A, include: [own, cached, gone, "spotify:local:X:Y:Z:1"]}
    - {name: B, include: [new, cached, "spotify:track:own", also]}
""").for_user("u")
    wanted = included_ids(playlists)
    assert wanted == {"own": ["A", "B"], "cached": ["A", "B"], "gone": ["A"], "new": ["B"], "also": ["B"]}
    objects = pl.DataFrame([{"user_id": "u", "track_id": "own", "name": "Own", "seen_at": AT}],
                           schema=polars_schema("raw.liked_track_objects"))
    stored = _stored([
        {"user_id": "v", "track_id": "cached", "status": FETCHED, "name": "Old", "fetched_at": AT},
        {"user_id": "w", "track_id": "cached", "status": FETCHED, "name": "Newer", "fetched_at": AT + dt.timedelta(1)},
        {"user_id": "v", "track_id": "gone", "status": UNAVAILABLE, "fetched_at": AT},
        {"user_id": "v", "track_id": "also", "status": INLINE, "name": "v's own"},  # v's inline object serves u too
    ])
    rows, missing = known_rows(wanted, objects, stored)
    assert missing == ["new"]
    assert rows.select("track_id", "status", "name", "child_playlists").rows() == [
        ("own", INLINE, "Own", ["A", "B"]), ("cached", FETCHED, "Newer", ["A", "B"]), ("gone", UNAVAILABLE, None, ["A"]),
        ("also", FETCHED, "v's own", ["B"])]
    assert list(rows.columns) == list(polars_schema(INCLUDED_TABLE, user_id=False))


def test_the_rules_stage_fetches_included_tracks_before_the_features_read_them():
    from pipelines.jobs import JOB_BY_NAME, stage_of

    from assets.playlists.included import INCLUDED_KEY
    from assets.playlists.tracklists import FEATURES_KEY, track_features

    assert {INCLUDED_KEY, FEATURES_KEY} <= set(JOB_BY_NAME["rules"].keys)
    assert stage_of(INCLUDED_KEY, "playlists") == "rules"
    assert INCLUDED_KEY in {d.asset_key for spec in track_features.specs for d in spec.deps}


def test_a_warehouse_of_the_previous_release_takes_in_library(tmp_path):
    """Its marts.track_features was made without the column: the upgrade adds it, so the features can be written."""
    con = duckdb.connect(str(tmp_path / "mixtape.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.track_features (user_id varchar, track_id varchar, track_uri varchar)")
    con.close()
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    features = pl.DataFrame({"track_id": ["t"], "track_uri": ["spotify:track:t"], "in_library": [False]})
    warehouse.replace_partition("marts.track_features", "u", features)
    assert warehouse.read("marts.track_features", "u")["in_library"].to_list() == [False]
    assert warehouse.upgrade() == []
