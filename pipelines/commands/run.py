"""`mixtape run [--user U] [--stage ingest|enrich|rules|push|marts|all] [--dry-run]`: materialize through
Dagster, in process, the same assets the UI would, with the instance of DAGSTER_HOME.

Per-user assets run once per user (`--user`, else every user partition, else every stored token);
shared assets (enrichment) run once. Stages run in order: ingest, enrich, rules, push, marts (the SQL
marts, the library report and `ops/api_requests`, the request ledger's copy in the warehouse); after a
run the snapshot `mixtape sql` reads is refreshed.
"""

from __future__ import annotations

import argparse
import sys

STAGES = ["ingest", "enrich", "rules", "push", "marts"]
# `all` reads the library again after pushing, so the warehouse already holds the playlists mixtape
# just wrote: the next run finds them unchanged instead of re-reading them
ALL_STAGES = ["ingest", "enrich", "rules", "push", "ingest", "marts"]


def stage_selection(stage: str):
    """The assets of one stage, by asset group (the push on its own)."""
    import dagster as dg

    from assets.ops.api_requests import api_requests
    from assets.playlists.push import push_playlists

    push = dg.AssetSelection.assets(push_playlists)
    return {
        "ingest": dg.AssetSelection.groups("spotify"),
        "enrich": dg.AssetSelection.groups("enrichment"),
        "rules": dg.AssetSelection.groups("playlists") - push,
        "push": push,
        "marts": dg.AssetSelection.groups("marts", "report") | dg.AssetSelection.assets(api_requests),
    }[stage]


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


def plan(defs, stages: list[str]) -> list[tuple[str, list, bool]]:
    """(stage, asset keys, per user?) in run order; a stage's shared and per-user assets run apart."""
    graph = defs.resolve_asset_graph()
    steps = []
    for stage in stages:
        keys = sorted(stage_selection(stage).resolve(graph), key=lambda k: k.to_user_string())
        per_user = [k for k in keys if graph.get(k).partitions_def is not None]
        shared = [k for k in keys if graph.get(k).partitions_def is None]
        steps += [(stage, group, flag) for group, flag in [(shared, False), (per_user, True)] if group]
    return steps


def run_config(keys: list, dry_run: bool) -> dict:
    """Console logs at INFO; a dry run plans and prints the pushes and writes nothing to Spotify."""
    from assets.playlists.push import SYNC_EVENTS_KEY, push_playlists

    config: dict = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    if dry_run and SYNC_EVENTS_KEY in keys:
        config["ops"] = {push_playlists.op.name: {"config": {"dry_run": True}}}
    return config


def materialize(defs, instance, keys: list, partition_key: str | None, dry_run: bool = False):
    import dagster as dg

    from assets.partitions import USER_TAG
    from pipelines.resources import resources_from_env

    return dg.materialize(
        [*defs.assets, *(defs.asset_checks or [])],
        selection=dg.AssetSelection.assets(*keys),
        partition_key=partition_key,
        instance=instance,
        resources=resources_from_env(),  # the environment as it is now, not when the definitions loaded
        run_config=run_config(keys, dry_run),
        tags={USER_TAG: partition_key} if partition_key else None,  # one sync per user (dagster.yaml)
        raise_on_error=False,
    )


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
    steps = plan(defs, stages)
    with open_instance() as instance:
        users = users_to_run(instance, defs, args.user)
        if any(per_user for _, _, per_user in steps) and not users:
            print("mixtape run: no Spotify user yet; run `mixtape login` first", file=sys.stderr)
            return 1
        failed = 0
        for stage, keys, per_user in steps:
            names = ", ".join(k.to_user_string() for k in keys)
            for user in users if per_user else [None]:
                who = f" for {user}" if user else ""
                result = materialize(defs, instance, keys, user, args.dry_run)
                status = "ok" if result.success else "FAILED"
                failed += not result.success
                print(f"{stage}{who}: {status} (run {result.run_id}) {names}")
        refresh_sql_snapshot(defs)
        return 1 if failed else 0


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
    parser.add_argument("--dry-run", action="store_true",
                        help="write nothing to Spotify: the push stage stores and prints its plans only")
    parser.set_defaults(func=run)
