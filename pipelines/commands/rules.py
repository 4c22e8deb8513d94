"""`mixtape rules check` validates the rule file, writing nothing; it registers `mixtape preview` too
(pipelines/commands/preview.py), which shows what the rules make of the library."""

from __future__ import annotations

import argparse
import sys

from pipelines.commands import preview


def _settings():
    from resources.settings import Settings

    return Settings.from_env()


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

    preview.register(subparsers)
