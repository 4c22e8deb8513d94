"""Parquet warehouses written by several processes at once (the production profile runs one per user):
a file listed when a connection opens may be gone, replaced by another run, before its view is made."""

from datetime import timedelta

import polars as pl
import pytest

from resources import warehouse as warehouse_module
from resources.warehouse import Warehouse


def liked(user_id: str, *track_ids: str) -> pl.DataFrame:
    return pl.DataFrame({"user_id": [user_id] * len(track_ids), "track_id": list(track_ids),
                         "liked_at": ["2024-01-01T00:00:00"] * len(track_ids)})


@pytest.fixture(params=["parquet", "s3"])
def warehouse(request, tmp_path):
    if request.param == "parquet":
        return Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    endpoint = request.getfixturevalue("moto_endpoint")
    return Warehouse(storage=request.getfixturevalue("s3_bucket"), data_dir=str(tmp_path), s3_endpoint_url=endpoint)


def test_a_connection_opens_although_another_run_replaced_a_file_it_listed(warehouse, monkeypatch):
    # a replaced file is deleted once superseded a while (no reader can still hold it): here at once
    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))
    warehouse.replace_partition("raw.liked_songs", "alice", liked("alice", "t1"))
    stale = warehouse._files_by_table()  # the listing another process's replace is about to outdate
    warehouse.replace_partition("raw.liked_songs", "alice", liked("alice", "t2"))
    warehouse.replace_partition("raw.liked_songs", "bob", liked("bob", "t3"))
    listings = iter([stale])
    real = Warehouse._files_by_table
    monkeypatch.setattr(Warehouse, "_files_by_table", lambda self: next(listings, None) or real(self))

    rows = warehouse.query("select user_id, track_id from raw.liked_songs order by all").rows()

    assert rows == [("alice", "t2"), ("bob", "t3")]
