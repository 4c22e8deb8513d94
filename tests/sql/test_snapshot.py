"""An open ad-hoc SQL session never blocks or fails a materialization: it reads a snapshot."""

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

import resources.warehouse as warehouse_module
from resources.snapshot import current_snapshot, open_reader, refresh_snapshot
from resources.warehouse import Warehouse

# A session in another process, as `mixtape sql` would hold it: connect, answer, then wait.
SESSION = """
import sys
from resources.snapshot import open_reader
from resources.warehouse import Warehouse
with open_reader(Warehouse(storage=sys.argv[1], data_dir=sys.argv[2])) as con:
    print(con.sql("select count(*) from liked_songs").fetchall()[0][0], flush=True)
    sys.stdin.readline()
"""

# The naive session this design avoids: read-only, but on the warehouse file itself.
NAIVE_SESSION = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.sql("select count(*) from raw.liked_songs").fetchall()[0][0], flush=True)
sys.stdin.readline()
"""


@dg.asset(key_prefix=["raw"])
def liked_songs(warehouse: Warehouse) -> dg.MaterializeResult:
    """A writer: replaces alice's liked songs through the warehouse, as ingestion does."""
    rows = pl.DataFrame({"track_id": ["t1", "t2", "t3"], "liked_at": [datetime(2025, 1, 1)] * 3})
    return dg.MaterializeResult(metadata={"dagster/row_count": warehouse.replace_partition("raw.liked_songs", "alice", rows)})


@pytest.fixture
def fast_lock_timeout(monkeypatch):
    """A blocked writer fails in a second instead of two minutes."""
    monkeypatch.setattr(warehouse_module, "_LOCK_RETRY_SECONDS", 1)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    warehouse.replace_partition("raw.liked_songs", "alice", pl.DataFrame({"track_id": ["t1"]}))
    return warehouse


def hold_session(script: str, *args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line = process.stdout.readline().strip()  # the session is open and has answered
    assert first_line, process.stderr.read()
    return process, first_line


def close_session(process: subprocess.Popen) -> None:
    process.stdin.write("\n")
    process.stdin.close()
    process.wait(timeout=30)


def materialize(warehouse: Warehouse) -> dg.ExecuteInProcessResult:
    return dg.materialize([liked_songs], resources={"warehouse": warehouse}, raise_on_error=False)


def test_a_run_succeeds_while_a_session_is_open(warehouse, fast_lock_timeout):
    refresh_snapshot(warehouse)
    session, seen = hold_session(SESSION, warehouse.storage, warehouse.data_dir)
    try:
        assert seen == "1"
        result = materialize(warehouse)
        assert result.success
        # Refreshing the snapshot after the run works with the old one still open.
        refresh_snapshot(warehouse)
    finally:
        close_session(session)
    assert session.returncode == 0
    with open_reader(warehouse) as con:
        assert con.sql("select count(*) from liked_songs").fetchall()[0][0] == 3


def test_a_session_on_the_warehouse_file_itself_would_fail_the_run(warehouse, fast_lock_timeout):
    """The control: what the snapshot protects against really happens."""
    session, _ = hold_session(NAIVE_SESSION, str(warehouse.database_path))
    try:
        result = materialize(warehouse)
    finally:
        close_session(session)
    assert not result.success
    assert "lock" in str(result.get_step_failure_events()[0].event_specific_data.error).lower()


def test_the_first_session_takes_a_snapshot_and_later_ones_reuse_it(warehouse):
    assert current_snapshot(warehouse) is None
    with open_reader(warehouse) as con:
        assert con.sql("select count(*) from liked_songs").fetchall()[0][0] == 1
    first = current_snapshot(warehouse)
    with open_reader(warehouse):
        pass
    assert current_snapshot(warehouse) == first


def test_sessions_are_read_only(warehouse):
    with open_reader(warehouse) as con, pytest.raises(Exception, match="read-only"):
        con.execute("delete from raw.liked_songs")


def test_old_snapshots_are_pruned(warehouse):
    paths = [refresh_snapshot(warehouse) for _ in range(5)]
    left = sorted(p.name for p in paths[0].parent.glob("mixtape-*.duckdb"))
    assert left == sorted(p.name for p in paths[-3:])
    assert current_snapshot(warehouse) == paths[-1]


def test_parquet_sessions_read_the_files_and_need_no_snapshot(tmp_path, fast_lock_timeout):
    warehouse = Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    assert refresh_snapshot(warehouse) is None
    session, seen = hold_session(SESSION, warehouse.storage, warehouse.data_dir)
    try:
        assert materialize(warehouse).success
    finally:
        close_session(session)
    assert seen == "0"
    with open_reader(warehouse) as con:
        assert con.sql("select count(*) from liked_songs").fetchall()[0][0] == 3


def test_the_snapshot_asset_refreshes_the_snapshot(warehouse):
    from assets.ops.snapshot import warehouse_snapshot

    result = dg.materialize([warehouse_snapshot], resources={"warehouse": warehouse})
    path = result.asset_materializations_for_node("ops__warehouse_snapshot")[0].metadata["path"].value
    assert current_snapshot(warehouse) == Path(path)


def test_the_sensor_requests_a_snapshot_after_other_runs_only(warehouse):
    from assets.ops.snapshot import snapshot_after_runs, snapshot_job, warehouse_snapshot

    defs = dg.Definitions(assets=[liked_songs, warehouse_snapshot], sensors=[snapshot_after_runs],
                          resources={"warehouse": warehouse})
    instance = dg.DagsterInstance.ephemeral()
    ingest = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, asset_selection=[liked_songs.key])
    snapshot = defs.resolve_job_def(snapshot_job.name).execute_in_process(instance=instance)
    decisions = []
    for result in (ingest, snapshot):
        success = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records[0]
        context = dg.build_run_status_sensor_context(
            sensor_name=snapshot_after_runs.name, dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=success.event_log_entry.dagster_event)
        decisions.append(snapshot_after_runs(context))
    assert isinstance(decisions[0], dg.RunRequest)
    assert isinstance(decisions[1], dg.SkipReason)


def test_the_sensor_requests_no_snapshot_over_parquet(warehouse, monkeypatch):
    from assets.ops.snapshot import snapshot_after_runs

    instance = dg.DagsterInstance.ephemeral()
    ingest = dg.materialize([liked_songs], instance=instance, resources={"warehouse": warehouse})
    success = instance.get_records_for_run(ingest.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records[0]
    monkeypatch.setenv("MIXTAPE_STORAGE", "s3://bucket/mixtape")
    context = dg.build_run_status_sensor_context(
        sensor_name=snapshot_after_runs.name, dagster_instance=instance, dagster_run=ingest.dagster_run,
        dagster_event=success.event_log_entry.dagster_event)
    assert isinstance(snapshot_after_runs(context), dg.SkipReason)
