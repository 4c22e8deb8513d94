"""The read-only snapshot of the DuckDB warehouse that ad-hoc SQL opens, so it never blocks a run."""

import dagster as dg

from assets.kinds import storage_kind
from resources.snapshot import refresh_snapshot
from resources.warehouse import Warehouse

@dg.asset(
    key=["ops", "warehouse_snapshot"],
    group_name="ops",
    kinds={storage_kind()},
    pool="duckdb_write",
    description="A read-only copy of the DuckDB warehouse that ad-hoc SQL sessions open, refreshed after runs.",
)
def warehouse_snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Copy the warehouse to a new snapshot file and point `snapshot/current.duckdb` at it."""
    path = refresh_snapshot(warehouse)
    if path is None:
        return dg.MaterializeResult(metadata={"note": "Parquet storage: sessions read the files, no snapshot needed"})
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)),
                                          "size_mb": round(path.stat().st_size / 1e6, 2)})


snapshot_job = dg.define_asset_job("warehouse_snapshot_job", selection=[warehouse_snapshot],
                                  description="Refresh the read-only snapshot of the warehouse that ad-hoc SQL opens.")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    request_job=snapshot_job,
    description="After every successful run, refresh the snapshot that ad-hoc SQL reads.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def snapshot_after_runs(context: dg.RunStatusSensorContext):
    if context.dagster_run.job_name == snapshot_job.name:
        return dg.SkipReason("the finished run was itself a snapshot refresh")
    if storage_kind() == "parquet":  # a run each time for nothing (the production profile's many runs)
        return dg.SkipReason("Parquet storage: sessions read the files, no snapshot needed")
    return dg.RunRequest(run_key=f"snapshot-after-{context.dagster_run.run_id}")
