"""`mixtape run [--user U] [--stage ingest|enrich|rules|push|marts|all] [--dry-run]`: materialize through
Dagster, in process, the same assets the UI would, with the instance of DAGSTER_HOME.

Per-user assets run once per user (`--user`, else every user partition, else every stored token);
shared assets (enrichment) run once. Stages run in order: ingest, enrich, rules, push, marts (the SQL
marts, the library report and `ops/api_requests`, the request ledger's copy in the warehouse); after a
run the snapshot `mixtape sql` reads is refreshed.

Each step runs a named job of `pipelines/jobs.py` (the UI's run list reads ingest, enrich, rules, push,
marts). When a stage fails for a user, the stages that read its results are not run for that user
(skipped, with the cause); a table of every user and stage is printed at the end, and the exit status
is 1 when anything failed or was skipped.
"""

from __future__ import annotations

import argparse
import functools
import sys
from contextlib import contextmanager

STAGES = ["ingest", "enrich", "rules", "push", "marts"]  # as pipelines/jobs.py (not imported here: `--help` stays fast)
# `all` reads the library again after pushing, so the warehouse already holds the playlists mixtape
# just wrote: the next run finds them unchanged instead of re-reading them
ALL_STAGES = ["ingest", "enrich", "rules", "push", "ingest", "marts"]
WORKSPACE_LOCATION = "mixtape"  # workspace.yaml's location_name


def load_definitions():
    from pipelines.definitions import defs

    return defs


def open_instance():
    """The persistent instance (DAGSTER_HOME, by default `.dagster_home/`): runs show in the UI."""
    import dagster as dg

    from pipelines.home import ensure_dagster_home

    ensure_dagster_home()
    return dg.DagsterInstance.get()


def users_to_run(instance, defs, user: str | None) -> list[str]:
    from assets.partitions import spotify_users

    if user:
        instance.add_dynamic_partitions(spotify_users.name, [user])
        return [user]
    known = instance.get_dynamic_partitions(spotify_users.name)
    if known:
        return sorted(known)
    from pipelines.resources import initialized

    stored = sorted(initialized("spotify").users())
    if stored:
        instance.add_dynamic_partitions(spotify_users.name, stored)
    return stored


def plan(stages: list[str]) -> list:
    """The jobs to run, in order (`pipelines/jobs.py`: a stage's shared job before its per-user one)."""
    from pipelines.jobs import jobs_of

    return [job for stage in stages for job in jobs_of(stage)]


def run_config(keys: list, dry_run: bool, force: list[str] = ()) -> dict:
    """Console logs at INFO; a dry run plans and prints the pushes and writes nothing to Spotify."""
    from assets.playlists.push import SYNC_EVENTS_KEY, push_playlists

    config: dict = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    if (dry_run or force) and SYNC_EVENTS_KEY in keys:
        config["ops"] = {push_playlists.op.name: {"config": {"dry_run": dry_run, "force": list(force)}}}
    return config


def materialize(defs, instance, job, partition_key: str | None, dry_run: bool = False, force: list[str] = ()):
    """Run one named stage job (a `pipelines.jobs.StageJob`) in this process, for one user or shared."""
    import dagster as dg

    from pipelines.jobs import JOB

    from assets.partitions import USER_TAG
    from pipelines.lifecycle import process_tags, wait_for_pool
    from pipelines.resources import resources_from_env
    from pipelines.terminal_progress import job_console
    from resources.warehouse import runs_in_process

    wait_for_pool(instance)  # here SIGTERM/SIGINT act; Dagster's own wait for the pool slot ignores them

    # live progress bars when attached to a terminal
    with job_console() as console, runs_in_process(), recorded_as_workspace_job(instance, job.name):
        # the environment as it is now, not when the definitions loaded
        job_defs = dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=[JOB[job.name]],
                                  resources=resources_from_env(), executor=dg.in_process_executor,
                                  loggers={"console": console})
        return job_defs.resolve_job_def(job.name).execute_in_process(
            partition_key=partition_key,
            instance=instance,
            run_config=run_config(list(job.keys), dry_run, force),
            # one sync per user (dagster.yaml); the process, so the next run can tell this one died (pipelines/lifecycle.py)
            tags={**process_tags(), **({USER_TAG: partition_key} if partition_key else {})},
            raise_on_error=False,
        )


@contextmanager
def recorded_as_workspace_job(instance, job_name: str):
    """Runs made in this process are recorded as runs of the UI's job of that name (workspace.yaml's
    `mixtape` location): the overview timeline lists only runs whose job it can place.
    `execute_in_process` takes no origin, so the instance's run creation is given it meanwhile."""
    from dagster._core.definitions.repository_definition.valid_definitions import SINGLETON_REPOSITORY_NAME
    from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    location = InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="pipelines.definitions"),
                                           location_name=WORKSPACE_LOCATION)
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), job_name)
    instance.create_run_for_job = functools.partial(instance.create_run_for_job, remote_job_origin=origin)
    try:
        yield
    finally:
        del instance.create_run_for_job  # the class's own method again


def failed_cause(result) -> str:
    """The first step failure of a run, in one line: the error the step raised, not Dagster's wrapper."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause:
                error = error.cause
            lines = error.message.strip().splitlines()
            message = lines[-1].split(": ", 1)[-1] if lines else "failed"  # without the module path
            return f"{event.step_key}: {error.cls_name or 'Error'}: {message}"[:300]
    return "the run failed"


SHARED = "(shared)"


class Outcomes:
    """Each user's result per stage: ok, FAILED (cause) or skipped (cause); shared stages under SHARED."""

    def __init__(self, users: list[str]):
        self.users = users
        self.results: dict[tuple[str, str], tuple[str, str]] = {}

    def failed(self, stage: str, user: str | None) -> str | None:
        """Why `stage` cannot run for `user` (None: its shared job): an earlier stage it reads failed or
        was skipped, for this user or in its shared job. One user's failure never stops the others."""
        from pipelines.jobs import DEPENDS_ON

        for needed in DEPENDS_ON[stage]:
            for who in ([user] if user else []) + [SHARED]:
                status, _ = self.results.get((who, needed), ("ok", ""))
                if status != "ok":
                    return f"{needed} {status}" + (" (shared)" if who == SHARED else "")
        return None

    def failed_before(self, stage: str, user: str | None) -> str | None:
        """Why a stage run a second time (`all` ingests again after the push) is pointless: it failed."""
        status, _ = self.results.get((user or SHARED, stage), ("ok", ""))
        return f"{stage} {status} earlier" if status != "ok" else None

    def record(self, stage: str, user: str | None, status: str, cause: str = "") -> None:
        key = (user or SHARED, stage)
        if self.results.get(key, ("ok", ""))[0] == "ok" or status != "ok":  # the second ingest never hides the first
            self.results[key] = (status, cause)

    @property
    def all_ok(self) -> bool:
        return all(status == "ok" for status, _ in self.results.values())

    def table(self) -> str:
        stages = [s for s in STAGES if any(k[1] == s for k in self.results)]
        rows = [(who, [self.results.get((who, s), ("–", ""))[0] for s in stages])
                for who in [SHARED, *self.users] if any(k[0] == who for k in self.results)]
        width = max(len(who) for who, _ in rows) if rows else 4
        widths = [max(len(s), *(len(r[1][i]) for r in rows)) for i, s in enumerate(stages)]
        lines = ["  ".join(["user".ljust(width), *(s.ljust(w) for s, w in zip(stages, widths))]).rstrip()]
        lines += ["  ".join([who.ljust(width), *(c.ljust(w) for c, w in zip(cells, widths))]).rstrip() for who, cells in rows]
        causes = [f"  {who} {stage}: {status} — {cause}" for (who, stage), (status, cause) in self.results.items()
                  if status != "ok" and cause]
        return "\n".join(lines + causes)


def run_steps(defs, instance, jobs: list, users: list[str], dry_run: bool = False, say=print,
              force: list[str] = ()) -> tuple[Outcomes, list]:
    """Run each job (per user or shared) in order, skipping what a failure upstream makes pointless."""
    outcomes, results = Outcomes(users), []
    for job in jobs:
        names = ", ".join(k.to_user_string() for k in job.keys)
        for user in users if job.per_user else [None]:
            who = f" for {user}" if user else ""
            again = outcomes.failed_before(job.stage, user)
            cause = outcomes.failed(job.stage, user)
            if again or cause:
                if not again:  # the table keeps what the stage did the first time
                    outcomes.record(job.stage, user, "skipped", cause)
                say(f"{job.name}{who}: skipped ({again or cause})")
                continue
            result = materialize(defs, instance, job, user, dry_run, force)
            results.append(result)
            if result.success:
                outcomes.record(job.stage, user, "ok")
                say(f"{job.name}{who}: ok (run {result.run_id}) {names}")
            else:
                outcomes.record(job.stage, user, "FAILED", failed_cause(result))
                say(f"{job.name}{who}: FAILED (run {result.run_id}) {names}")
    return outcomes, results


def run(args: argparse.Namespace) -> int:
    from resources.tokens import check_user_id

    try:  # before anything is registered as a Dagster partition
        if args.user is not None:
            check_user_id(args.user)
    except ValueError as error:
        print(f"mixtape run: {error}", file=sys.stderr)
        return 2
    defs = load_definitions()
    stages = ALL_STAGES if args.stage == "all" else [args.stage]
    steps = plan(stages)
    with open_instance() as instance:
        startup_check(instance)
        users = users_to_run(instance, defs, args.user)
        if any(job.per_user for job in steps) and not users:
            print("mixtape run: no Spotify user yet; run `mixtape login` first", file=sys.stderr)
            return 1
        outcomes, _ = run_steps(defs, instance, steps, users, args.dry_run, force=args.force or [])
        refresh_sql_snapshot(defs)
        print(outcomes.table())
        return 0 if outcomes.all_ok else 1


def startup_check(instance) -> None:
    """Runs of earlier `mixtape run`s whose process died: failed, pool slots freed, sync events closed."""
    from pipelines.lifecycle import reap_dead_runs
    from pipelines.resources import initialized

    reap_dead_runs(instance, initialized("warehouse"), log=lambda line: print(line, file=sys.stderr))


def refresh_sql_snapshot(defs) -> None:
    """`mixtape sql` reads a snapshot taken after runs; in-process runs have no sensor to take it."""
    from pipelines.resources import initialized
    from resources.snapshot import refresh_snapshot

    refresh_snapshot(initialized("warehouse"))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="materialize assets through Dagster, in process",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", help="only this Spotify user (default: every user)")
    parser.add_argument("--stage", choices=[*STAGES, "all"], default="all", help="which assets (default: all)")
    parser.add_argument("--force", action="append", metavar="NAME",
                        help="push child playlist NAME past the removal guardrail (repeatable; '*': all)")
    parser.add_argument("--dry-run", action="store_true",
                        help="write nothing to Spotify: the push stage stores and prints its plans only")
    parser.set_defaults(func=run)
