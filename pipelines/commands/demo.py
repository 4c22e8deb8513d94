"""`mixtape demo` (what `make demo` runs): the whole chain on the embedded sandbox, then a summary.

It stands on the demo world: the persistent demo sandbox every entry point shares (a server process
whose state is kept in `<data>/sandbox/`, started or found running, so a second demo finds nothing
changed). The demo user logs in through the real OAuth code flow, and every stage runs as its named
job through Dagster on the persistent instance: ingest → enrich → rules → push; when the push wrote,
ingest again (the library now holds the playlists the push wrote, so the next run finds them unchanged)
and enrich → rules → push once more over what it read (cache hits, the same tracklists, nothing to write:
no request), so every asset in the UI stands in sync with its inputs; then marts (SQL marts and the library report) and
the snapshot `mixtape sql` reads, as the `ops/warehouse_snapshot` asset. The summary lists every child
playlist with its track count, empty ones with the reason, what the push wrote, and the time each stage
took.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

from pipelines.commands.demo_sandbox import DEMO_USER

# The chain; after a push that wrote, once more, so the library holds what it wrote and no asset is older
# than its inputs (a rerun that wrote nothing is in sync already).
CHAIN = ["ingest", "enrich", "rules", "push"]


def materialization_metadata(results, key: str) -> int:
    """The sum of one integer metadata entry over every materialization of `results`."""
    total = 0
    for result in results:
        for event in result.get_asset_materialization_events():
            value = event.materialization.metadata.get(key)
            total += int(value.value) if value is not None else 0
    return total


def child_playlists(warehouse, user: str) -> list[tuple]:
    """(name, status built|empty|invalid, tracks, reason) of every child playlist of `user`, from
    marts.child_playlists when the rules wrote it, else from the tracklists (built ones only)."""
    try:
        rows = warehouse.query("select child_playlist, status, tracks, reason from marts.child_playlists "
                               "where user_id = ? order by child_playlist", [user]).rows()
    except Exception:  # a warehouse from before marts.child_playlists
        rows = []
    if rows:
        return rows
    return warehouse.query("select child_playlist, 'built', count(*)::int, null from child_playlist_tracks "
                           "where user_id = ? group by 1 order by 1", [user]).rows()


def child_line(name: str, status: str, tracks: int, reason: str | None, push: tuple | None) -> str:
    """One child playlist in the summary: its tracks, why it is empty or invalid, what the push wrote."""
    line = f"    {name}: {tracks} tracks"
    if status != "built":
        line += f" — {status}" + (f": {reason}" if reason else "")
    if push is not None:
        pushed, adds, removes, moves, writes = push
        line += f"; push {pushed}, +{adds} −{removes} ↕{moves} in {writes} write requests"
    return line


class StageTimes:
    """The wall time of each stage of the demo, in the order they ran (a stage run twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def timed(self, stage: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

    def line(self) -> str:
        stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.seconds.items())
        return f"  time per stage: {stages}; total {sum(self.seconds.values()):.1f} s"


def summary(warehouse, results, sandbox_requests: int, user: str, times: StageTimes) -> str:
    run_ids = [r.run_id for r in results]
    spent = warehouse.query(
        "select service, sum(requests)::bigint as n from api_requests where run_id in (select unnest(?)) group by 1 order by 1",
        [run_ids]).rows()
    by_service = ", ".join(f"{service} {n}" for service, n in spent) or "none"
    spotify = dict(spent).get("spotify", 0)
    minimum = materialization_metadata(results, "minimum_requests")
    counts = warehouse.query(
        """select (select count(*) from liked_songs where user_id = $1 and unliked_at is null),
                  (select count(*) from playlists where user_id = $1),
                  (select count(*) from track_features where user_id = $1),
                  (select count(distinct child_playlist) from child_playlist_tracks where user_id = $1)""",
        [user]).row(0)
    events = warehouse.query(
        """select child_playlist, status, adds, removes, moves, write_requests
           from sync_events where user_id = ? and run_id in (select unnest(?)) order by started_at desc""",
        [user, run_ids]).rows()
    written = [e for e in events if (e[5] or 0) > 0]
    # the first push of the demo is the one that writes; the one after the re-read finds nothing to do
    pushes = {name: (status, adds, removes, moves, writes) for name, status, adds, removes, moves, writes in events}
    children = child_playlists(warehouse, user)
    location = warehouse.database_path if warehouse.is_duckdb else warehouse.storage
    lines = [
        "",
        f"mixtape demo — user '{user}' on the sandbox Spotify",
        f"  library: {counts[0]} liked songs, {counts[1]} playlists, {counts[2]} tracks with features",
        f"  child playlists: {sum(1 for c in children if c[1] == 'built')} built, "
        f"{sum(1 for c in children if c[1] != 'built')} empty or invalid, {len(written)} written to Spotify this run",
        *[child_line(name, status, tracks, reason, pushes.get(name)) for name, status, tracks, reason in children],
        f"  Spotify requests this run: {spotify} (theoretical minimum for the reads: {minimum}); sandbox saw {sandbox_requests}",
        f"  all outside requests: {by_service}",
        times.line(),
        f"  warehouse: {location}",
        "  query it:  .venv/bin/mixtape sql -c \"select * from child_playlist_tracks limit 10\"",
        "  open the UI:  make ui   (Dagster at http://127.0.0.1:3000)",
    ]
    return "\n".join(lines)


def materialize_snapshot(defs, instance) -> None:
    """The snapshot `mixtape sql` reads, taken as its asset, so the UI shows it materialized."""
    from assets.ops.snapshot import snapshot_job
    from pipelines.commands.run import recorded_as_workspace_job

    with recorded_as_workspace_job(instance, snapshot_job.name):
        result = defs.resolve_job_def(snapshot_job.name).execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        raise RuntimeError(f"the warehouse snapshot failed (run {result.run_id})")


def sandbox_stats(url: str) -> dict:
    import requests

    return requests.get(f"{url}/_sandbox/stats", timeout=5).json()


def run(args: argparse.Namespace) -> int:
    import os

    import dagster as dg

    from pipelines.commands.run import load_definitions, plan, run_steps
    from pipelines.commands.ui import login_demo_user
    from pipelines.home import ensure_dagster_home
    from pipelines.resources import current_world, enter_demo_world, initialized

    if current_world() == "production":
        print("mixtape demo runs on the demo sandbox; it never touches your Spotify account. "
              "Unset SPOTIFY_CLIENT_ID to run it, or use `mixtape run` for your own library.", file=sys.stderr)
        return 2
    ensure_dagster_home()
    times, user = StageTimes(), DEMO_USER
    url = enter_demo_world() if current_world() == "demo" else os.environ["SPOTIFY_API_BASE"]
    times.timed("login", lambda: login_demo_user(user))
    defs = times.timed("load", load_definitions)
    before = sandbox_stats(url)["by_service"].get("spotify", 0)
    results = []
    with dg.DagsterInstance.get() as instance:
        def run_stages(stages: list[str]) -> bool:
            for stage in stages:  # one stage at a time, timed; the first failure ends the demo
                outcomes, ran = times.timed(stage, lambda: run_steps(defs, instance, plan([stage]), [user]))
                results.extend(ran)
                if not outcomes.all_ok:
                    print(outcomes.table())
                    return False
            return True

        if not run_stages(CHAIN):
            return 1
        if materialization_metadata(results, "write_requests") and not run_stages(CHAIN):
            return 1
        if not run_stages(["marts"]):
            return 1
        times.timed("snapshot", lambda: materialize_snapshot(defs, instance))
    spent = sandbox_stats(url)["by_service"].get("spotify", 0) - before
    print(summary(initialized("warehouse"), results, spent, user, times))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="the whole pipeline on the embedded sandbox, then a summary",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=run)
