"""`mixtape demo` (what `make demo` runs): the whole chain on the embedded sandbox, then a summary.

The sandbox serves the demo library in this process (its state is kept in `<data>/sandbox/`, so a
second demo finds nothing changed), the demo user logs in through the real OAuth code flow, and every
stage is materialized through Dagster on the persistent instance: ingest → enrich → rules → push → marts
(SQL marts and the library report); then the snapshot `mixtape sql` reads is refreshed.
"""

from __future__ import annotations

import argparse

from pipelines.commands.demo_sandbox import DEMO_USER, sandbox_state_file, start_demo_sandbox


def materialization_metadata(results, key: str) -> int:
    """The sum of one integer metadata entry over every materialization of `results`."""
    total = 0
    for result in results:
        for event in result.get_asset_materialization_events():
            value = event.materialization.metadata.get(key)
            total += int(value.value) if value is not None else 0
    return total


def summary(warehouse, results, sandbox_requests: int, user: str) -> str:
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
           from sync_events where user_id = ? and run_id in (select unnest(?)) order by child_playlist""",
        [user, run_ids]).rows()
    written = [e for e in events if (e[5] or 0) > 0]
    location = warehouse.database_path if warehouse.is_duckdb else warehouse.storage
    lines = [
        "",
        f"mixtape demo — user '{user}' on the sandbox Spotify",
        f"  library: {counts[0]} liked songs, {counts[1]} playlists, {counts[2]} tracks with features",
        f"  child playlists: {counts[3]} built, {len(written)} written to Spotify this run",
        *[f"    {name}: {status}, +{adds} −{removes} ↕{moves} in {writes} write requests"
          for name, status, adds, removes, moves, writes in events],
        f"  Spotify requests this run: {spotify} (theoretical minimum for the reads: {minimum}); sandbox saw {sandbox_requests}",
        f"  all outside requests: {by_service}",
        f"  warehouse: {location}",
        "  query it:  .venv/bin/mixtape sql -c \"select * from child_playlist_tracks limit 10\"",
        "  open the UI:  make ui   (Dagster at http://127.0.0.1:3000)",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pipelines.commands.run import ALL_STAGES, load_definitions, materialize, plan, refresh_sql_snapshot
    from pipelines.commands.ui import login_demo_user
    from pipelines.home import ensure_dagster_home
    from pipelines.resources import initialized
    from sandbox.persist import save_state
    from resources.settings import Settings

    import dagster as dg

    ensure_dagster_home()
    data_dir = Settings.from_env().data_dir
    sandbox = start_demo_sandbox(state_file=sandbox_state_file(data_dir))
    try:
        user = DEMO_USER
        login_demo_user(user)
        defs = load_definitions()
        sandbox.sandbox.reset_stats()
        results = []
        with dg.DagsterInstance.get() as instance:
            for stage, keys, per_user in plan(defs, ALL_STAGES):
                result = materialize(defs, instance, keys, user if per_user else None)
                results.append(result)
                print(f"{stage}: {'ok' if result.success else 'FAILED'} ({', '.join(k.to_user_string() for k in keys)})")
                if not result.success:
                    return 1
        refresh_sql_snapshot(defs)
        print(summary(initialized("warehouse"), results, sandbox.sandbox.stats()["by_service"].get("spotify", 0), user))
        return 0
    finally:
        save_state(sandbox, sandbox_state_file(data_dir))
        sandbox.stop()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="the whole pipeline on the embedded sandbox, then a summary",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=run)
