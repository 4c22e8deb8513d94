"""Parquet compaction: an appended partition stays a few files however often it is written, reads every
row once, and a process killed at any step of a compaction leaves the same rows (local and S3). Files a
newer one superseded stay while a reader may still be reading them (`_IN_FLIGHT`), then are deleted."""

import os
import time
from datetime import datetime, timedelta

import dagster as dg
import polars as pl
import pyarrow.fs as pafs
import pytest

from resources import warehouse as warehouse_module
from resources.warehouse import COMPACT_ABOVE, Warehouse, live_files

TABLE = "raw.recently_played"
SHARED = "ops.api_requests"


@pytest.fixture(params=["parquet", "s3"])
def warehouse(request, tmp_path):
    if request.param == "parquet":
        return Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    endpoint = request.getfixturevalue("moto_endpoint")
    return Warehouse(storage=request.getfixturevalue("s3_bucket"), data_dir=str(tmp_path), s3_endpoint_url=endpoint)


def plays(first: int, count: int = 1) -> pl.DataFrame:
    return pl.DataFrame({"played_at": [datetime(2026, 1, 1) + timedelta(seconds=n) for n in range(first, first + count)],
                         "track_id": [f"t{n}" for n in range(first, first + count)]})


def stored(warehouse: Warehouse, table: str, user: str | None = None) -> list[str]:
    """Every Parquet file in the table's (or user's) folder, superseded ones included."""
    folder = warehouse._table_path(table) + (f"/user_id={user}" if user else "")
    selector = pafs.FileSelector(folder, allow_not_found=True)
    return sorted(i.path for i in warehouse._filesystem().get_file_info(selector) if i.path.endswith(".parquet"))


def track_ids(warehouse: Warehouse, user: str = "alice") -> list[str]:
    return warehouse.query(f"select track_id from {TABLE} where user_id = ? order by played_at", [user])["track_id"].to_list()


def test_files_stay_bounded_and_rows_are_the_sum_of_the_appends(warehouse, monkeypatch):
    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))  # superseded files deleted at once
    for n in range(40):
        warehouse.append(TABLE, plays(n), "alice")
        assert len(stored(warehouse, TABLE, "alice")) <= COMPACT_ABOVE
    warehouse.append(TABLE, plays(100, 3), "bob")

    assert track_ids(warehouse) == [f"t{n}" for n in range(40)]
    assert track_ids(warehouse, "bob") == ["t100", "t101", "t102"]


def test_files_of_an_earlier_release_are_compacted_with_the_rest(warehouse, monkeypatch):
    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))
    warehouse.append(TABLE, plays(0), "alice")
    fs, folder = warehouse._filesystem(), warehouse._table_path(TABLE) + "/user_id=alice"
    fs.move(stored(warehouse, TABLE, "alice")[0], f"{folder}/part-0123456789abcdef0123456789abcdef.parquet")
    for n in range(1, 2 * COMPACT_ABOVE):
        warehouse.append(TABLE, plays(n), "alice")

    assert track_ids(warehouse) == [f"t{n}" for n in range(2 * COMPACT_ABOVE)]
    assert not any("part-0123456789abcdef" in path for path in stored(warehouse, TABLE, "alice"))


def test_replace_partition_after_compaction_is_the_whole_partition(warehouse):
    for n in range(2 * COMPACT_ABOVE):
        warehouse.append(TABLE, plays(n), "alice")
    warehouse.append(TABLE, plays(50), "bob")

    warehouse.replace_partition(TABLE, "alice", plays(90, 2))

    assert track_ids(warehouse) == ["t90", "t91"]
    assert track_ids(warehouse, "bob") == ["t50"]
    assert len(live_files(stored(warehouse, TABLE, "alice"))) == 1
    warehouse.replace_partition(TABLE, "alice", plays(0, 0))
    assert track_ids(warehouse) == []


class Crash(Exception):
    pass


def crash_at(monkeypatch, step: str, deleted_first: int = 0) -> None:
    """The next compaction dies at `step`: writing its base, or after deleting `deleted_first` of the
    files its base supersedes."""
    if step == "base":
        real_put = Warehouse._put

        def put(self, fs, path, rows):
            if "/base-" in path:
                if not self._is_s3:  # a local file half written when the process died
                    fs.open_output_stream(f"{path}.partial").close()
                raise Crash()
            real_put(self, fs, path, rows)
        monkeypatch.setattr(Warehouse, "_put", put)
        return

    def collect_garbage(fs, held):
        dead = sorted(set(held) - set(live_files(held)))
        if dead:
            for path in dead[:deleted_first]:
                fs.delete_file(path)
            raise Crash()
        return held
    monkeypatch.setattr(Warehouse, "_collect_garbage", staticmethod(collect_garbage))


@pytest.mark.parametrize("step, deleted_first", [("base", 0), ("garbage", 0), ("garbage", 1), ("garbage", COMPACT_ABOVE)])
def test_a_compaction_killed_at_any_step_loses_and_duplicates_nothing(warehouse, monkeypatch, step, deleted_first):
    for n in range(COMPACT_ABOVE):
        warehouse.append(TABLE, plays(n), "alice")
    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))  # the compaction deletes what it superseded
    crash_at(monkeypatch, step, deleted_first)
    with pytest.raises(Crash):
        warehouse.append(TABLE, plays(COMPACT_ABOVE), "alice")  # the append that compacts
    monkeypatch.undo()
    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))

    assert track_ids(warehouse) == [f"t{n}" for n in range(COMPACT_ABOVE + 1)]
    warehouse.append(TABLE, plays(COMPACT_ABOVE + 1), "alice")  # the next run's write
    assert track_ids(warehouse) == [f"t{n}" for n in range(COMPACT_ABOVE + 2)]
    assert len(stored(warehouse, TABLE, "alice")) <= COMPACT_ABOVE


def test_a_shared_table_compacts_only_files_older_than_any_write(tmp_path):
    """Writers of a shared table may run at once: a file just written may be another's, so it stays."""
    warehouse = Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    row = {"service": "spotify", "endpoint": "GET /v1/me", "requests": 1}
    for _ in range(COMPACT_ABOVE + 2):
        warehouse.append(SHARED, pl.DataFrame([row]))
    assert len(stored(warehouse, SHARED)) == COMPACT_ABOVE + 2  # all young: none compacted

    hour_ago = time.time() - 3600
    for path in stored(warehouse, SHARED):
        os.utime(path, (hour_ago, hour_ago))
    warehouse.append(SHARED, pl.DataFrame([row]))

    assert len(live_files(stored(warehouse, SHARED))) == 2  # the old ones as one base, and the young one
    assert warehouse.query(f"select sum(requests) as n from {SHARED}")["n"].item() == COMPACT_ABOVE + 3


def test_a_base_supersedes_the_files_of_its_generation_and_below():
    files = ["d/part-0000000001-a.parquet", "d/part-0000000002-b.parquet", "d/base-0000000002-c.parquet",
             "d/part-0000000003-d.parquet", "d/part-0123456789abcdef0123456789abcdef.parquet"]
    assert live_files(files) == ["d/base-0000000002-c.parquet", "d/part-0000000003-d.parquet"]
    assert live_files(files[:2]) == files[:2]
    assert warehouse_module.next_generation(files) == 4


def test_a_reader_that_listed_the_files_before_a_replace_still_reads_them(warehouse):
    """Another run replacing a partition while a connection reads: its files stay until nobody reads them."""
    warehouse.replace_partition(TABLE, "alice", plays(0, 2))
    with warehouse.connect() as reader:
        warehouse.replace_partition(TABLE, "alice", plays(5))
        for n in range(COMPACT_ABOVE + 1):
            warehouse.append(TABLE, plays(10 + n), "bob")
        seen = reader.sql(f"select track_id from {TABLE} where user_id = 'alice' order by all").pl()["track_id"].to_list()

    assert seen == ["t0", "t1"]
    assert track_ids(warehouse) == ["t5"]


def test_superseded_files_are_deleted_once_superseded_long_enough(tmp_path):
    warehouse = Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    for n in range(COMPACT_ABOVE + 1):
        warehouse.append(TABLE, plays(n), "alice")
    assert len(stored(warehouse, TABLE, "alice")) == COMPACT_ABOVE + 2  # the base and the files it holds

    hour_ago = time.time() - 3600
    for path in stored(warehouse, TABLE, "alice"):
        os.utime(path, (hour_ago, hour_ago))
    warehouse.append(TABLE, plays(COMPACT_ABOVE + 1), "alice")

    assert len(stored(warehouse, TABLE, "alice")) == 2
    assert track_ids(warehouse) == [f"t{n}" for n in range(COMPACT_ABOVE + 2)]


def test_a_sweep_deletes_what_a_base_superseded_long_ago_in_every_folder_of_the_user(warehouse, monkeypatch):
    """Folders not written again (an unchanged playlist after the cold sync's pages) keep no garbage."""
    for n in range(COMPACT_ABOVE + 1):
        warehouse.append(TABLE, plays(n), "alice")
        warehouse.append(TABLE, plays(n), "bob")
    alice_before, bob_before = stored(warehouse, TABLE, "alice"), stored(warehouse, TABLE, "bob")
    assert warehouse.sweep("alice") == 0  # superseded just now: a reader may be reading them

    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))
    assert warehouse.sweep("alice") == len(alice_before) - 1

    assert stored(warehouse, TABLE, "alice") == live_files(alice_before)
    assert stored(warehouse, TABLE, "bob") == bob_before  # another user's folders are theirs to sweep
    assert track_ids(warehouse) == [f"t{n}" for n in range(COMPACT_ABOVE + 1)]


def test_a_run_of_one_user_sweeps_that_users_folders_as_it_starts(tmp_path, monkeypatch):
    warehouse = Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    for n in range(COMPACT_ABOVE + 1):
        warehouse.append(TABLE, plays(n), "alice")
    monkeypatch.setattr(warehouse_module, "_IN_FLIGHT", timedelta(0))

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["alice", "bob"]))
    def reads_nothing(warehouse: Warehouse) -> None:
        pass

    assert dg.materialize([reads_nothing], partition_key="bob", resources={"warehouse": warehouse}).success
    assert len(stored(warehouse, TABLE, "alice")) == COMPACT_ABOVE + 2
    assert dg.materialize([reads_nothing], partition_key="alice", resources={"warehouse": warehouse}).success
    assert len(stored(warehouse, TABLE, "alice")) == 1
