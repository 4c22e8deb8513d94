"""A `mixtape run` killed with SIGKILL mid-ingest or mid-push: the next `mixtape run` finishes (it does
not wait on the dead run's pool slot), marks the dead run failed, leaves no `in_progress` sync event, and
the state equals a clean run's.

Real processes (`python -m pipelines.cli run`), a real persistent Dagster instance (DAGSTER_HOME), a real
DuckDB file, the sandbox over HTTP. The sandbox holds one chosen request (a 500 after a long delay, so it
never applies) to stop the run at a known point; the test kills it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from resources.warehouse import Warehouse
from sandbox.generator import generate_library
from tests.ingest.conftest import start

REPO = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 600  # only so a hang fails the test instead of blocking the suite; never a timing assertion
SAVED = "GET /v1/me/tracks"
ADD = "POST /v1/playlists/{playlist_id}/items"
RULES = """\
defaults:
  - name: Every like
    source: liked
    sort: [{field: title}]
  - name: Long ones
    filter: {field: duration, op: gte, value: "3:30"}
    sort: [{field: title}]
"""
TABLES = {
    "liked_songs": "select user_id, track_id, liked_at, unliked_at, first_liked_at, like_count from liked_songs",
    "playlist_items": "select i.* from playlist_items i join playlists p using (user_id, playlist_id) where not p.managed",
    # mixtape's own playlists get new ids (and added_at) on each sandbox: compared by name
    "managed_items": "select p.name, i.position, i.uri from playlist_items i join playlists p using (user_id, playlist_id) "
                     "where p.managed",
    "tracks": "select * from tracks", "albums": "select * from albums", "artists": "select * from artists",
    "held": "select * from raw.liked_songs_held", "staging": "select * from raw.playlist_items_staging",
}


class Env:
    """One sandbox, data dir and DAGSTER_HOME; `mixtape(...)` runs the command in a child process."""

    def __init__(self, tmp_path: Path, monkeypatch, liked: int = 1_500):
        tmp_path.mkdir(parents=True, exist_ok=True)
        (tmp_path / "rules.yaml").write_text(RULES)
        library = generate_library(seed=8, users=["alice", "bob"], liked=liked, playlists=6, big_playlist=600)
        self.ingest = start(library, tmp_path, monkeypatch, Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")))
        self.home = tmp_path / "dagster_home"
        self.env = {**os.environ, "DAGSTER_HOME": str(self.home), "MIXTAPE_RULES": str(tmp_path / "rules.yaml"),
                    "PYTHONPATH": str(REPO)}
        self.cwd = tmp_path

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--user", "alice", *args], cwd=self.cwd,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def mixtape(self, *args: str) -> str:
        child = self.popen(*args)
        try:
            out, _ = child.communicate(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
        assert child.returncode == 0, out
        return out

    def requests(self, route: str) -> int:
        return self.ingest.sandbox.sandbox.stats()["requests"].get(route, 0)

    def kill_at(self, route: str, nth: int, *args: str) -> str:
        """Start `mixtape run ARGS`, hold the `nth` request to `route` and SIGKILL the run while it waits."""
        before = self.requests(route)
        self.ingest.sandbox.sandbox.add_faults([{"route": route, "times": nth - 1, "status": 200},
                                                {"route": route, "times": 1, "status": 500, "delay_ms": 3_600_000}])
        child = self.popen(*args)
        deadline = time.monotonic() + HANG_GUARD_S
        while self.requests(route) < before + nth:
            assert child.poll() is None, child.communicate()[0]
            assert time.monotonic() < deadline, "the run never reached the held request"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=HANG_GUARD_S)
        self.ingest.sandbox.sandbox.faults.clear()
        return str(child.pid)

    def tables(self) -> dict[str, list[tuple]]:
        return {name: self.ingest.sql(f"{sql} order by all") for name, sql in TABLES.items()}

    def remote_playlists(self) -> dict[str, list[str]]:
        """alice's playlists on the sandbox: name -> track ids in order."""
        library = self.ingest.library()
        return {p["name"]: [i["track_id"] for i in p["items"]] for p in library["playlists"] if p["owner"] == "alice"}

    def in_progress(self) -> int:
        return self.ingest.sql("select count(*) from ops.sync_events where status = 'in_progress'")[0][0]

    def assert_dead_run_cleaned(self, pid: str) -> None:
        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            killed = [r for r in instance.get_runs() if r.tags.get("mixtape/pid") == pid]
            assert [r.status for r in killed] == [dg.DagsterRunStatus.FAILURE]
            assert instance.event_log_storage.get_concurrency_run_ids() == set()
            assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in instance.get_runs() if r.tags.get("mixtape/pid") != pid)

    def stop(self) -> None:
        self.ingest.sandbox.stop()


@pytest.fixture
def envs(tmp_path, monkeypatch):
    made = []

    def make(name: str) -> Env:
        made.append(Env(tmp_path / name, monkeypatch))
        return made[-1]

    yield make
    for env in made:
        env.stop()


def test_a_run_killed_mid_ingest_holds_nothing_back(envs):
    clean = envs("clean")
    clean.mixtape("--stage", "ingest")
    killed = envs("killed")
    pid = killed.kill_at(SAVED, 20, "--stage", "ingest")  # 19 of 30 liked pages read, the 20th held

    out = killed.mixtape("--stage", "ingest")
    assert "ingest for alice: ok" in out and f"pid {pid} is gone" in out
    killed.assert_dead_run_cleaned(pid)
    assert killed.tables() == clean.tables()


def test_a_run_killed_mid_push_holds_nothing_back_and_leaves_no_event_in_progress(envs):
    outcomes = {}
    for name in ("clean", "killed"):
        env = envs(name)
        env.mixtape("--stage", "ingest")
        env.mixtape("--stage", "rules")
        if name == "killed":
            pid = env.kill_at(ADD, 3, "--stage", "push")  # the third write of the push held
            assert env.in_progress() == 1  # the dead push's event, as the kill left it
            out = env.mixtape("--stage", "push")
            assert "push for alice: ok" in out and f"pid {pid} is gone" in out
            env.assert_dead_run_cleaned(pid)
        else:
            env.mixtape("--stage", "push")
        env.mixtape("--stage", "ingest")
        assert env.in_progress() == 0
        outcomes[name] = (env.remote_playlists(), env.tables())
    assert outcomes["killed"][0] == outcomes["clean"][0]
    assert outcomes["killed"][1] == outcomes["clean"][1]
