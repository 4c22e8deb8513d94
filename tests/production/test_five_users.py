"""The production profile, run for real: deploy/dagster.yaml on a throwaway PostgreSQL, moto's S3 and
Secrets Manager, the sandbox with five users, and dagster-webserver and dagster-daemon as separate
processes beside the code location's gRPC server. Nobody presses a button: the sensors sync the five
users and automation builds and pushes their playlists. The daemon is killed mid-way and started again.

The outcome is compared with the reference: `mixtape run`, one stage after another for each user in
turn (no daemon, no queue, nothing side by side), against a second sandbox serving the same library."""

from __future__ import annotations

import os
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pytest
import requests

from assets.partitions import USER_TAG, spotify_users
from assets.playlists.push import MANAGED_KEY
from pipelines.commands.login import login
from resources.settings import Settings
from resources.warehouse import Warehouse
from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library
from sandbox.library import Library, Liked
from tests.production.postgres import free_port, start_postgres, stop_postgres
from tests.production.world import ROOT, Services, cli, production_env, sandbox_urls, write_home

USERS = ["alice", "bob", "carol", "dave", "erin"]  # development mode's five
ACTIVE = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING}
SETTLE_TIMEOUT_S = 1800  # a safety net against a hung daemon, not a time limit

# What must be equal, row for row: nothing that records when it happened or a run's own id.
WAREHOUSE = {
    "liked_songs": "select user_id, track_id, liked_at from liked_songs",
    "playlists": "select user_id, playlist_id, name, snapshot_id, items_total from playlists where not managed",
    "playlist_items": "select i.user_id, i.playlist_id, position, track_id, uri from playlist_items i "
                      "join playlists p using (user_id, playlist_id) where not p.managed",
    "child_playlists": "select user_id, child_playlist, child_id, status, tracks, reason from marts.child_playlists",
    "child_playlist_tracks": "select user_id, child_playlist, position, track_uri from child_playlist_tracks",
    "managed_playlists": "select user_id, child_id, part, name, tracklist_hash from ops.managed_playlists",
}


def library() -> Library:
    """Five users whose libraries share one small pool of tracks, each liked in its own order and on its
    own dates: every user has a library of their own, while the shared enrichment, paced at MusicBrainz's
    one request a second, looks up a dozen tracks rather than a hundred."""
    generated = generate_library(seed=19, users=USERS, liked=12, playlists=2, big_playlist=8)
    pool = [liked.track_id for liked in generated.liked[USERS[0]]]
    shuffle = random.Random(19)
    for user in USERS[1:]:
        order = shuffle.sample(pool, len(pool))
        generated.liked[user] = [Liked(track_id=t, added_at=s.added_at) for t, s in zip(order, generated.liked[user])]
    for playlist in generated.playlists:
        for n, item in enumerate(playlist.items):
            if item.track_id and item.track_id not in pool:
                item.track_id = pool[(n + len(playlist.name)) % len(pool)]
    return Library.model_validate(generated.model_dump())


def log_in(sandbox: RunningSandbox, monkeypatch, env: dict[str, str]) -> None:
    """Each user signs in at the sandbox and approves mixtape; the token goes to the configured store."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for user in USERS:
        requests.post(f"{sandbox.url}/_sandbox/session", json={"user": user}, timeout=5).raise_for_status()
        login(Settings.from_env(), user, open_browser=False, timeout_s=10, say=lambda *_: None)


def warehouse_rows(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {name: sorted(warehouse.query(sql).rows()) for name, sql in WAREHOUSE.items()}


def remote_playlists(sandbox: RunningSandbox) -> dict[str, list[tuple]]:
    """Each user's Spotify playlists that mixtape manages: name and tracks, in order."""
    return {user: sorted((p.name, tuple(i.track_id for i in p.items)) for p in sandbox.world.library.playlists
                         if p.owner == user and "[mixtape:" in p.description)
            for user in USERS}


def reference_env(sandbox: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    return {**sandbox_urls(sandbox.url), "MIXTAPE_DATA_DIR": str(tmp_path / "reference"), "MIXTAPE_TOKEN_STORE": "file",
            "MIXTAPE_STORAGE": "duckdb", "DAGSTER_HOME": str(tmp_path / "reference_home"),
            "MIXTAPE_RULES": str(ROOT / "playlists.yaml")}


def run_reference(env: dict[str, str], cwd: Path) -> None:
    """`mixtape run`, stage by stage; each stage runs the users one after another."""
    for stage in ("ingest", "enrich", "rules", "push"):
        done = subprocess.run([cli("mixtape"), "run", "--stage", stage], cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def active_runs(instance: dg.DagsterInstance) -> list[dg.RunRecord]:
    return instance.get_run_records(dg.RunsFilter(statuses=list(ACTIVE)))


def pushed_users(instance: dg.DagsterInstance) -> set[str]:
    """Users whose playlists a run pushed (a materialization of the push's managed-playlists table)."""
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=MANAGED_KEY), limit=100).records
    return {r.partition_key for r in records if not (r.asset_materialization.metadata.get("skipped"))}


def wait(until, services: Services, what: str, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not until():
        for name in services.processes:
            assert services.alive(name), f"{name} exited:\n" + (services.logs / f"{name}.log").read_text()[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def user_of(record: dg.RunRecord) -> str | None:
    tags = record.dagster_run.tags
    return tags.get(USER_TAG) or tags.get("dagster/partition")


def overlap(a: dg.RunRecord, b: dg.RunRecord) -> bool:
    return a.start_time < b.end_time and b.start_time < a.end_time


@pytest.fixture
def postgres():
    server = start_postgres()
    yield server
    stop_postgres(server)


@pytest.mark.production
@pytest.mark.e2e
def test_five_users_synced_built_and_pushed_by_the_daemon(tmp_path, monkeypatch, postgres, moto_endpoint):
    before = dict(os.environ)
    reference_sandbox, sandbox = start_sandbox(library()), start_sandbox(library())
    reference = reference_env(reference_sandbox, tmp_path)
    with monkeypatch.context() as patch:
        log_in(reference_sandbox, patch, reference)
    home = tmp_path / "dagster_home"
    env = production_env(postgres, moto_endpoint, sandbox.url, home, tmp_path / "data")
    code_port = free_port()
    write_home(home, code_port)
    log_in(sandbox, monkeypatch, env)
    (tmp_path / "logs").mkdir()
    services = Services(home, {**before, **env, "PYTHONPATH": str(ROOT)}, tmp_path / "logs", code_port)
    # the reference runs beside the production profile: they share nothing but the machine
    with ThreadPoolExecutor(1) as pool, dg.DagsterInstance.get() as instance:  # creates the Postgres schema
        reference_done = pool.submit(run_reference, {**before, **reference}, tmp_path)
        try:
            services.start_code_server()
            services.start_webserver()
            services.start_daemon()

            # mid-way: some user's sync has finished while other runs are still queued or going
            wait(lambda: any(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in instance.get_run_records())
                 and active_runs(instance), services, "the first finished run")
            services.kill("daemon")
            time.sleep(5)
            services.start_daemon()

            wait(lambda: pushed_users(instance) == set(USERS) and not active_runs(instance), services,
                 "every user's playlists pushed")
            records = instance.get_run_records()
            partitions = instance.get_dynamic_partitions(spotify_users.name)
            # the webserver serves the same instance: the runs it lists are the run storage's
            served = services.graphql("{ runsOrError { ... on Runs { count } } }")["data"]["runsOrError"]["count"]
        finally:
            services.stop()
        reference_done.result()

    failed = [(r.dagster_run.job_name, r.dagster_run.tags) for r in records
              if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS]
    assert failed == [], (tmp_path / "logs" / "daemon.log").read_text()[-5000:]
    assert served == len(records)
    assert sorted(partitions) == sorted(USERS)

    by_user: dict[str, list[dg.RunRecord]] = {}
    for record in records:
        if user_of(record):
            by_user.setdefault(user_of(record), []).append(record)
    assert set(by_user) == set(USERS)
    for user, runs in by_user.items():
        assert not [(a.dagster_run.run_id, b.dagster_run.run_id) for i, a in enumerate(runs) for b in runs[i + 1:]
                    if overlap(a, b)], f"{user}'s runs overlapped"

    expected = Warehouse(storage="duckdb", data_dir=reference["MIXTAPE_DATA_DIR"])
    warehouse = Warehouse(storage=env["MIXTAPE_STORAGE"], s3_endpoint_url=moto_endpoint)
    assert warehouse_rows(warehouse) == warehouse_rows(expected)
    assert remote_playlists(sandbox) == remote_playlists(reference_sandbox)
    assert any(overlap(a, b) for u in USERS for v in USERS if u < v for a in by_user[u] for b in by_user[v]), \
        "no two users' runs went side by side"
    sandbox.stop()
    reference_sandbox.stop()
