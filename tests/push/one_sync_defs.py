"""A code location for the one-sync-per-user test: a job whose single op holds for a moment,
long enough that two runs let loose together would overlap."""

import time

import dagster as dg


@dg.op
def hold() -> None:
    time.sleep(1.0)


@dg.job(executor_def=dg.in_process_executor)
def sync_job() -> None:
    hold()


defs = dg.Definitions(jobs=[sync_job])
