"""One sync per user at a time, with the project's dagster.yaml and the real `dagster-daemon`: its sensor
daemon submits two runs for alice and one for bob (one_sync_defs.py), its run queue launches them with
the default run launcher. Alice's two runs never overlap; bob's goes beside hers (each run holds until
the other user has a run going, so that is what the runs' times show, however slowly they launch)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.partitions import USER_TAG

ROOT = Path(__file__).resolve().parents[2]
DEFS = Path(__file__).with_name("one_sync_defs.py")
DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def write_home(home: Path) -> None:
    """The project's dagster.yaml, with the run queue polled every second instead of every five."""
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator",
                                 "config": {"dequeue_interval_seconds": 1}}
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    (home / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [{"python_file": {
        "relative_path": str(DEFS), "working_directory": str(ROOT), "location_name": "one_sync"}}]}))


def wait_for_runs(instance: dg.DagsterInstance, daemon: subprocess.Popen, count: int,
                  timeout_s: float = 180) -> list[dg.RunRecord]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert daemon.poll() is None, "dagster-daemon exited"
        records = instance.get_run_records()
        if len(records) == count and all(r.dagster_run.status in DONE for r in records):
            return records
        time.sleep(0.5)
    raise AssertionError(f"runs did not finish: {[(r.dagster_run.tags, r.dagster_run.status) for r in records]}")


@pytest.mark.e2e
def test_two_runs_for_one_user_never_overlap(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    write_home(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    log = (tmp_path / "daemon.log").open("w")
    with dg.DagsterInstance.get() as instance:  # creates the instance's storage before the daemon opens it
        daemon = subprocess.Popen([str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", "workspace.yaml"],
                                  cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            records = wait_for_runs(instance, daemon, count=3)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
            log.close()

    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records), \
        (tmp_path / "daemon.log").read_text()[-3000:]
    alice = sorted((r for r in records if r.dagster_run.tags[USER_TAG] == "alice"), key=lambda r: r.start_time)
    bob = next(r for r in records if r.dagster_run.tags[USER_TAG] == "bob")
    assert len(alice) == 2
    assert alice[0].end_time <= alice[1].start_time  # alice's second sync waited for her first
    # bob's run went out beside alice's first: the limit is per user, not global
    assert bob.start_time < alice[0].end_time
