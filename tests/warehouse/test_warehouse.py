"""The warehouse gives the same tables and views over a DuckDB file and over Parquet (local and S3)."""

from datetime import datetime

import polars as pl
import pytest

from resources.warehouse import Warehouse, polars_schema


@pytest.fixture(params=["duckdb", "parquet", "s3"])
def warehouse(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(storage="duckdb", data_dir=str(tmp_path))
    if request.param == "parquet":
        return Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    endpoint = request.getfixturevalue("moto_endpoint")
    return Warehouse(storage=request.getfixturevalue("s3_bucket"), data_dir=str(tmp_path), s3_endpoint_url=endpoint)


def liked(*track_ids: str) -> pl.DataFrame:
    return pl.DataFrame({"track_id": list(track_ids), "liked_at": [datetime(2024, 5, 1)] * len(track_ids)})


def test_unwritten_table_reads_empty_with_its_columns(warehouse):
    frame = warehouse.read("raw.liked_songs", "alice")
    assert frame.is_empty()
    assert {"user_id", "track_id", "liked_at", "unliked_at"} <= set(frame.columns)


def test_replace_partition_touches_only_that_user(warehouse):
    warehouse.replace_partition("raw.liked_songs", "alice", liked("a", "b"))
    warehouse.replace_partition("raw.liked_songs", "bob", liked("c"))
    warehouse.replace_partition("raw.liked_songs", "alice", liked("d"))
    rows = warehouse.query("select user_id, track_id from liked_songs order by all").rows()
    assert rows == [("alice", "d"), ("bob", "c")]


def test_types_follow_the_ddl(warehouse):
    warehouse.replace_partition("raw.tracks", "alice", pl.DataFrame(
        {"track_id": ["t1"], "artist_ids": [["x", "y"]], "duration_ms": [1000], "explicit": [True]}))
    frame = warehouse.read("raw.tracks", "alice")
    assert frame.schema["duration_ms"] == pl.Int64
    assert frame.schema["artist_ids"] == pl.List(pl.String)
    assert frame["artist_ids"].to_list() == [["x", "y"]]


def test_append_and_replace_table(warehouse):
    rows = pl.DataFrame({"service": ["spotify"], "endpoint": ["GET /v1/me/tracks"], "user_id": ["alice"], "requests": [3]})
    warehouse.append("ops.api_requests", rows)
    warehouse.append("ops.api_requests", rows)
    assert warehouse.query("select requests from api_requests").item() == 6


def test_user_ids_that_look_like_numbers_stay_text(warehouse):
    warehouse.replace_partition("raw.liked_songs", "12345", liked("a"))
    assert warehouse.read("raw.liked_songs", "12345")["user_id"].to_list() == ["12345"]


def test_polars_schema_is_the_ddl():
    assert polars_schema("raw.liked_songs_held", user_id=False) == {
        "position": pl.Int32, "track_id": pl.String, "added_at": pl.Datetime("us")}
    assert list(polars_schema("raw.liked_songs_held")) == ["user_id", "position", "track_id", "added_at"]
    with pytest.raises(KeyError):
        polars_schema("raw.track_objects")  # the previous release's table: no longer declared


def test_writes_fill_left_out_columns_and_reject_undeclared_ones(warehouse):
    empty = pl.DataFrame(schema=polars_schema("raw.liked_songs_held", user_id=False))
    warehouse.replace_partition("raw.liked_songs_held", "alice", empty)
    assert warehouse.read("raw.liked_songs_held").is_empty()
    warehouse.replace_partition("raw.playlist_items_sync", "alice", pl.DataFrame(
        {"source": ["playlist_items"], "key": ["p1"], "complete": [True], "refused": ["403"]}))
    frame = warehouse.read("raw.playlist_items_sync", "alice")
    assert dict(frame.schema) == polars_schema("raw.playlist_items_sync")
    assert frame.select("key", "refused", "next_offset").rows() == [("p1", "403", None)]
    with pytest.raises(Exception, match="refused"):
        warehouse.replace_partition("raw.playlists_sync", "alice", pl.DataFrame(
            {"source": ["playlists"], "key": [""], "refused": ["x"]}))
