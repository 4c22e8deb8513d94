"""One sync per user at a time: the project's dagster.yaml, a real instance, its run queue daemon
and the default run launcher. Two runs for alice never overlap; bob's runs beside hers."""

import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import PythonFileTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

ROOT = Path(__file__).resolve().parents[2]
DEFS = Path(__file__).with_name("one_sync_defs.py")
DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def instance_config() -> dict:
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config.pop("run_monitoring", None)  # a daemon this test does not run
    return config


def submit(instance, workspace, job, user: str) -> str:
    run = instance.create_run(
        job_name=job.name, run_id=None, run_config={}, resolved_op_selection=None, step_keys_to_execute=None,
        status=None, tags={"spotify_user": user}, root_run_id=None, parent_run_id=None,
        job_snapshot=job.job_snapshot, execution_plan_snapshot=None, parent_job_snapshot=None,
        remote_job_origin=job.get_remote_origin(), job_code_origin=job.get_python_origin(),
        asset_selection=None, asset_check_selection=None, op_selection=None, asset_graph=None,
    )
    instance.submit_run(run.run_id, workspace)
    return run.run_id


def wait_done(instance, run_id: str, timeout_s: float = 120) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.status in DONE:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.mark.e2e
def test_two_runs_for_one_user_never_overlap():
    with dg.instance_for_test(overrides=instance_config()) as instance:
        target = PythonFileTarget(python_file=str(DEFS), attribute="defs", working_directory=str(ROOT),
                                  location_name="one_sync")
        with create_test_daemon_workspace_context(target, instance) as context:
            workspace = context.create_request_context()
            job = workspace.get_code_location("one_sync").get_repository("__repository__").get_full_job("sync_job")
            first, second, bobs = (submit(instance, workspace, job, user) for user in ("alice", "alice", "bob"))
            daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)

            list(daemon.run_iteration(context))
            status = {run_id: instance.get_run_by_id(run_id).status for run_id in (first, second, bobs)}
            assert status[second] == dg.DagsterRunStatus.QUEUED
            # bob's run goes out with alice's first: the limit is per user, not global
            assert status[first] != dg.DagsterRunStatus.QUEUED and status[bobs] != dg.DagsterRunStatus.QUEUED

            assert wait_done(instance, first).status == dg.DagsterRunStatus.SUCCESS
            list(daemon.run_iteration(context))
            assert wait_done(instance, second).status == dg.DagsterRunStatus.SUCCESS
            wait_done(instance, bobs)

            records = {r.dagster_run.run_id: r for r in instance.get_run_records(
                dg.RunsFilter(run_ids=[first, second, bobs]))}
            assert records[first].end_time <= records[second].start_time
