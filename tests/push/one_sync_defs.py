"""A code location for the one-sync-per-user test. A sensor asks, once, for two sync runs for alice and
one for bob, tagged by user as mixtape's sensors tag theirs. Each run holds until every other user has
a run going (or a time-out passes): runs that may go side by side then overlap for certain, and a run
kept waiting for another user's shows as waiting."""

import time

import dagster as dg

from assets.partitions import USER_TAG

REQUESTS = [("alice", "alice-1"), ("alice", "alice-2"), ("bob", "bob-1")]
MIN_HOLD_S, MAX_HOLD_S = 1.0, 30.0
GOING = {dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}


@dg.op
def hold(context: dg.OpExecutionContext) -> None:
    me = context.run.tags[USER_TAG]
    others = {user for user, _ in REQUESTS} - {me}
    started, deadline = time.monotonic(), time.monotonic() + MAX_HOLD_S
    while time.monotonic() < deadline:
        going = {r.dagster_run.tags.get(USER_TAG) for r in context.instance.get_run_records(
            dg.RunsFilter(job_name=sync_job.name)) if r.dagster_run.status in GOING}
        if others <= going and time.monotonic() - started >= MIN_HOLD_S:
            return
        time.sleep(0.2)
    context.log.info(f"{me}: gave up waiting for {sorted(others - going)} to have a run going")


@dg.job(executor_def=dg.in_process_executor)
def sync_job() -> None:
    hold()


@dg.sensor(job=sync_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def three_syncs() -> list[dg.RunRequest]:
    # run keys make the daemon launch each request once, however often it ticks
    return [dg.RunRequest(run_key=key, tags={USER_TAG: user, "sync": key}) for user, key in REQUESTS]


defs = dg.Definitions(jobs=[sync_job], sensors=[three_syncs])
