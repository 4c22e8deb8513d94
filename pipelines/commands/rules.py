"""`mixtape rules check` validates the rule file; `mixtape preview NAME [--user U]` shows a child playlist's
tracklist, why each track is in it, and what a push would change in Spotify. Both write nothing."""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def _settings():
    from resources.settings import Settings

    return Settings.from_env()


def _warehouse():
    from pipelines.resources import initialized

    return initialized("warehouse")


def access_profile(requested: str | None) -> tuple[str, str]:
    """(profile, where it came from): `--profile`, else the app's profile cached in the request ledger (as
    last probed, however long ago), else devmode, the profile every new app has."""
    if requested:
        return requested, "--profile"
    from resources.budget.ledger import Ledger
    from resources.spotify import SANDBOX_CLIENT_ID

    settings = _settings()
    path = settings.data_dir / "state" / "ledger.sqlite"  # Ledger.in_data_dir, without creating it just to look
    if path.is_file():
        cached = Ledger(path).cached_profile(settings.spotify_client_id or SANDBOX_CLIENT_ID, 0, float("inf"))
        if cached:
            return cached, "the app's profile cached in the request ledger"
    return "devmode", "default: the app's profile is not known yet"


def check(args: argparse.Namespace) -> int:
    from assets.playlists.rules import ALL_FIELDS, DEVMODE_MISSING, RuleError, RuleFileError, load_rules
    from assets.playlists.rules.loader import check_against_data

    path = args.file or _settings().mixtape_rules
    try:
        rules = load_rules(path, max_playlists=args.max_playlists)
    except RuleFileError as error:
        print("\n".join(str(e) for e in error.errors), file=sys.stderr)
        print(f"{path}: the rule file cannot be used; no child playlist would be built", file=sys.stderr)
        return 1
    profile, origin = access_profile(args.profile)
    fields = ALL_FIELDS - DEVMODE_MISSING if profile == "devmode" else ALL_FIELDS
    errors = rules.all_errors()
    for user_id in [None, *rules.users]:  # fields this access profile lacks; playlists are checked at run time
        for error in check_against_data(rules.for_user(user_id)[0], fields, None)[1]:
            if error not in errors:
                errors.append(error)
    if not rules.defaults and not any(rules.users.values()) and not errors:
        errors.append(RuleError(str(path), None, "<top>", "the rule file defines no child playlist "
                                "(give `defaults` and/or `users`)"))
    for error in errors:
        print(error, file=sys.stderr)
    counts = [f"{len(rules.for_user(None)[0])} for every user"]
    counts += [f"{len(rules.for_user(u)[0])} for {u}" for u in rules.users]
    status = f"{len(errors)} error(s): those child playlists are skipped" if errors else "no errors"
    print(f"{path}: child playlists ready: {', '.join(counts)}; {status} (access profile {profile}: {origin})")
    return 1 if errors else 0


def preview(args: argparse.Namespace) -> int:
    from assets.playlists.rules import RuleFileError
    from assets.playlists.included import unavailable_uris
    from assets.playlists.tracklists import evaluate_user, read_features, user_playlists

    warehouse = _warehouse()
    user = args.user or _only_user(warehouse)
    if user is None:
        print("mixtape preview: several users have features; pick one with --user", file=sys.stderr)
        return 2
    path = args.file or _settings().mixtape_rules
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        result = evaluate_user(read_features(warehouse, user), path, user, now,
                               playlist_names=user_playlists(warehouse, user),
                               unavailable=unavailable_uris(warehouse, user))
    except RuleFileError as error:
        print(error, file=sys.stderr)
        return 1
    mine = [e for e in result.errors if e.playlist == args.name]
    for error in mine:
        print(error, file=sys.stderr)
    tracks = result.tracks.filter(result.tracks["child_playlist"] == args.name)
    if mine:
        return 1
    if tracks.is_empty() and args.name not in result.counts():
        known = sorted({e.playlist for e in result.errors if e.playlist} | set(result.counts()))
        print(f"mixtape preview: no child playlist {args.name!r} for {user} (known: {', '.join(known)})",
              file=sys.stderr)
        return 1
    _print_tracklist(tracks, args.limit)
    why = result.summary.filter((result.summary["child_playlist"] == args.name) & (result.summary["status"] == "empty"))
    if why.height:
        print(f"{args.name} is empty: {why['reason'][0]}")
    child_id = result.summary.filter(result.summary["child_playlist"] == args.name)["child_id"][0]
    print(describe_change(warehouse, user, child_id, tracks["track_uri"].to_list()))
    return 0


def _only_user(warehouse) -> str | None:
    users = warehouse.query("select distinct user_id from marts.track_features")["user_id"].to_list()
    return users[0] if len(users) == 1 else None


def _print_tracklist(tracks, limit: int) -> None:
    import polars as pl

    shown = tracks.select("position", "track_uri", "admitted_by").head(limit)
    with pl.Config(tbl_rows=-1, fmt_str_lengths=80, tbl_hide_dataframe_shape=True):
        print(shown)
    if tracks.height > limit:
        print(f"... and {tracks.height - limit} more")


def current_tracks(warehouse, user: str, child_id: str) -> list[str | None] | None:
    """The managed Spotify playlist's items as the warehouse last read them; None when there is none yet."""
    managed = warehouse.query("select playlist_id from ops.managed_playlists where user_id = ? and "
                              "child_id = ? order by part", [user, child_id])
    if managed.is_empty():
        return None
    items = warehouse.query(
        "select coalesce(uri, 'spotify:track:' || track_id) as uri from raw.playlist_items i "
        "join ops.managed_playlists m on m.user_id = i.user_id and m.playlist_id = i.playlist_id "
        "where i.user_id = ? and m.child_id = ? order by m.part, i.position", [user, child_id])
    return items["uri"].to_list()


def describe_change(warehouse, user: str, child_id: str, target: list[str]) -> str:
    """What a push would do, planned by the push planner over the last read of the managed playlist of the
    child playlist `child_id` (its id in the rule file: a renamed rule keeps its playlist)."""
    from assets.playlists.plan import Item, plan_push

    current = current_tracks(warehouse, user, child_id)
    if current is None:
        return f"no managed Spotify playlist yet: a push would create it with {len(target)} tracks"
    try:
        plan = plan_push([Item(uri) for uri in current], target)
    except ValueError as error:  # e.g. beyond one playlist's 10,000 items: the push splits it into parts
        kept = len(set(current) & set(target))
        return f"{len(current)} tracks in Spotify now, {len(target)} in the tracklist ({kept} shared): {error}"
    s = plan.summary()
    if s["strategy"] == "noop":
        return f"the Spotify playlist already matches ({len(target)} tracks): a push would change nothing"
    return (f"a push would add {s['adds']}, remove {s['removes']}, move {s['moves']} and keep {s['kept']} "
            f"of {len(current)} tracks ({s['strategy']}, {s['requests']} request(s))")


def register(subparsers: argparse._SubParsersAction) -> None:
    rules = subparsers.add_parser("rules", help="the child-playlist rule file", description=__doc__)
    actions = rules.add_subparsers(dest="action", required=True)
    checker = actions.add_parser("check", help="validate the rule file; non-zero exit on errors")
    checker.add_argument("--file", help="the rule file (default: MIXTAPE_RULES or playlists.yaml)")
    checker.add_argument("--profile", choices=["devmode", "extended"],
                         help="the app's Spotify access (default: as last probed, else devmode)")
    checker.add_argument("--max-playlists", type=int, default=200,
                         help="child playlists allowed per user (default 200)")
    checker.set_defaults(func=check)

    parser = subparsers.add_parser("preview", help="a child playlist's tracklist and its diff with Spotify",
                                   description=__doc__)
    parser.add_argument("name", help="the child playlist")
    parser.add_argument("--user", help="the Spotify user id (default: the only user)")
    parser.add_argument("--file", help="the rule file (default: MIXTAPE_RULES or playlists.yaml)")
    parser.add_argument("--limit", type=int, default=50, help="tracks to show (default 50)")
    parser.set_defaults(func=preview)
