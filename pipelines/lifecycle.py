"""Runs that die are cleaned up: the startup check of `mixtape run`.

`mixtape run` executes in process, so a run killed (`kill -9`, OOM, power loss) or crashed never marks
itself failed and never gives back its `duckdb_write` pool slot: every later run would wait on it for
ever. Each run `mixtape run` starts carries its process in run tags (`mixtape/pid`, `mixtape/host`,
`mixtape/process_start`); before it runs anything, the next `mixtape run` looks for runs of this
instance still STARTING/STARTED (or NOT_STARTED) whose process is gone and

- reports them failed (`DagsterInstance.report_run_failed`),
- frees their pool slots and pending claims (`instance.event_log_storage.free_concurrency_slots_for_run`,
  the call Dagster's own run monitoring makes), and slots still held by runs that already finished,
- closes their `in_progress` sync events in `ops.sync_events` (status `failed`, error `run <id> died`).

Under `dagster-daemon` (runs launched by the UI, sensors or schedules) the daemon's run monitoring does
the same: `run_monitoring` in dagster.yaml fails runs whose worker is gone and, with
`free_slots_after_run_end_seconds`, frees the slots of finished runs.

`wait_for_pool` is the wait for a busy pool done where signals work: Dagster's own in-process wait for a
pool slot captures SIGTERM/SIGINT and never acts on them, so `mixtape run` waits here first.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import datetime, timezone

PID_TAG = "mixtape/pid"
HOST_TAG = "mixtape/host"
START_TAG = "mixtape/process_start"
POOL = "duckdb_write"


def process_start(pid: int) -> str | None:
    """When the process started (clock ticks since boot, /proc/<pid>/stat field 22): a pid reused by
    another process has another start. None where /proc is not there or the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_tags() -> dict[str, str]:
    """The run tags that name this process."""
    pid = os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), START_TAG: process_start(pid) or ""}


def process_alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    if started:
        now = process_start(pid)
        return now is None or now == started
    return True


def is_dead(tags: dict[str, str]) -> bool:
    """Whether the run's process (from its tags) is gone. Runs without our tags, or from another host,
    are never judged here (the daemon's run monitoring watches those)."""
    pid = tags.get(PID_TAG)
    if not pid or not pid.isdigit() or tags.get(HOST_TAG) != socket.gethostname():
        return False
    if int(pid) == os.getpid():
        return False
    return not process_alive(int(pid), tags.get(START_TAG) or None)


def dead_runs(instance) -> list:
    """Runs of this instance that are not finished but whose `mixtape run` process is gone."""
    import dagster as dg

    unfinished = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=unfinished))
    return [run for run in runs if is_dead(run.tags)]


def reap_dead_runs(instance, warehouse=None, log: Callable[[str], None] = print) -> list[str]:
    """Mark failed the runs whose process died, free their pool slots (and those of finished runs) and
    close their sync events; the ids of the runs it failed."""
    import dagster as dg

    reaped = []
    for run in dead_runs(instance):
        pid = run.tags.get(PID_TAG)
        instance.report_run_failed(run, message=f"mixtape: the process of this run (pid {pid}) is gone, killed or "
                                                f"crashed; marked failed and its pool slots freed by the next mixtape run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
        log(f"mixtape: run {run.run_id} died (pid {pid} is gone): marked failed, its pool slots freed")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        if holders:
            finished = instance.get_runs(filters=dg.RunsFilter(run_ids=list(holders), statuses=_finished()))
            gone = set(holders) - {r.run_id for r in instance.get_runs(filters=dg.RunsFilter(run_ids=list(holders)))}
            for run_id in sorted({r.run_id for r in finished} | gone):
                storage.free_concurrency_slots_for_run(run_id)
    if reaped:
        if warehouse is None:
            from pipelines.resources import initialized

            warehouse = initialized("warehouse")
        closed = close_sync_events(warehouse, reaped)
        if closed:
            log(f"mixtape: {closed} sync event(s) of the dead run(s) closed as failed")
    return reaped


def _finished() -> list:
    import dagster as dg

    return [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def close_sync_events(warehouse, run_ids: list[str], now: datetime | None = None) -> int:
    """Mark the `in_progress` sync events of dead runs failed (`run <id> died`); how many it closed."""
    from assets.playlists import sync_events as events

    now = (now or datetime.now(timezone.utc)).replace(tzinfo=None)
    table = events.TABLE
    if warehouse.is_duckdb:
        closed = 0
        with warehouse.connect() as con:
            for run_id in run_ids:
                closed += len(con.execute(
                    f"update {table} set status = ?, error_message = ?, completed_at = ?, updated = ? "
                    "where status = ? and run_id = ? returning id",
                    [events.FAILED, f"run {run_id} died", now, now, events.IN_PROGRESS, run_id]).fetchall())
        return closed
    import polars as pl

    stored = warehouse.read(table)
    hit = stored.filter((pl.col("status") == events.IN_PROGRESS) & pl.col("run_id").is_in(run_ids))
    for user in hit["user_id"].unique().to_list():
        mine = stored.filter(pl.col("user_id") == user)
        dead = (pl.col("status") == events.IN_PROGRESS) & pl.col("run_id").is_in(run_ids)
        fixed = mine.with_columns(
            pl.when(dead).then(pl.lit(events.FAILED)).otherwise(pl.col("status")).alias("status"),
            pl.when(dead).then(pl.lit("run ") + pl.col("run_id") + pl.lit(" died")).otherwise(pl.col("error_message"))
            .alias("error_message"),
            pl.when(dead).then(pl.lit(now)).otherwise(pl.col("completed_at")).alias("completed_at"),
            pl.when(dead).then(pl.lit(now)).otherwise(pl.col("updated")).alias("updated"),
        )
        warehouse.replace_partition(table, user, fixed.drop("user_id"))
    return hit.height


def wait_for_pool(instance, pool: str = POOL, poll_s: float = 0.5, log: Callable[[str], None] = print,
                  warehouse=None) -> None:
    """Wait, here where SIGTERM and SIGINT act, until `pool` has a free slot; a holder that dies
    meanwhile is reaped. Returns at once when the pool is free (or the storage has no pool limits)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    said = False
    while True:
        info = storage.get_concurrency_info(pool)
        limit = info.limit if info.limit is not None else info.slot_count
        if not limit or info.active_slot_count < limit:
            return
        if not said:
            log(f"mixtape: waiting for the {pool} pool, held by run(s) {', '.join(sorted(info.active_run_ids))}")
            said = True
        reap_dead_runs(instance, warehouse, log)
        time.sleep(poll_s)
