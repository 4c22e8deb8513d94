"""`mixtape status [--user U]`: per user, how old the caches are, what they hold, the last pushes,
how far the library sync got, and the Spotify requests left today. Sends no Spotify request."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta



@dataclass(frozen=True)
class UserStatus:
    user: str
    has_token: bool
    liked: int
    ever_liked: int
    liked_seen_at: datetime | None
    playlists: int
    readable_playlists: int
    playlist_items: int
    playlists_fetched_at: datetime | None
    last_pushes: list[tuple]  # (child_playlist, status, completed_at, adds, removes, moves)
    requests_today: int
    progress: dict[str, str]


def age(then: datetime | None, now: datetime) -> str:
    """`3h 12m ago`, `2d 4h ago`, or `never`."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h ago"
    if hours:
        return f"{hours}h {minutes}m ago"
    return f"{minutes}m ago"


def render_user(s: UserStatus, now: datetime, ttl: timedelta) -> list[str]:
    """The lines `mixtape status` prints for one user."""
    stale = " (stale)" if s.liked_seen_at is None or now - s.liked_seen_at > ttl else ""
    lines = [
        f"{s.user}" + ("" if s.has_token else "  (no token: run `mixtape login --user " + s.user + "`)"),
        f"  liked songs     {s.liked} liked, {s.ever_liked} ever; synced {age(s.liked_seen_at, now)}{stale}",
        f"  playlists       {s.playlists} ({s.readable_playlists} readable), {s.playlist_items} items; "
        f"synced {age(s.playlists_fetched_at, now)}",
        f"  requests today  {s.requests_today}",
    ]
    for name, value in s.progress.items():
        lines.append(f"  sync {name}: {value}")
    if not s.last_pushes:
        lines.append("  last pushes     none")
    for child, status, completed_at, adds, removes, moves in s.last_pushes:
        lines.append(f"  push {child!r}: {status} {age(completed_at, now)} (+{adds} -{removes} ~{moves})")
    return lines


def _one(warehouse, sql: str, user: str):
    return warehouse.query(sql, [user]).row(0)


def read_user(warehouse, budget, user: str, has_token: bool, progress: dict[str, str]) -> UserStatus:
    liked, ever, seen = _one(warehouse, "select count(*) filter (where unliked_at is null), count(*), max(last_seen_at) "
                                        "from raw.liked_songs where user_id = ?", user)
    playlists, readable, fetched = _one(warehouse, "select count(*), count(*) filter (where readable), max(fetched_at) "
                                                   "from raw.playlists where user_id = ?", user)
    (items,) = _one(warehouse, "select count(*) from raw.playlist_items where user_id = ?", user)
    pushes = warehouse.query(
        "select child_playlist, status, coalesce(completed_at, started_at), adds, removes, moves from ops.sync_events "
        "where user_id = ? order by started_at desc limit 5", [user]).rows()
    return UserStatus(user, has_token, liked, ever, seen, playlists, readable, items, fetched, pushes,
                      budget.spent_today(user), progress)


def sync_progress(warehouse, user: str) -> dict[str, str]:
    """How far each sync of the user got, from the ingestion's cursors ("N of M pages fetched, ...")."""
    from assets.spotify.state import read_cursors

    progress = {}
    for (source, key), cursor in sorted(read_cursors(warehouse, user).items()):
        if cursor.progress and (not key or not cursor.complete):  # per-playlist cursors only while unfinished
            progress[f"{source} {key}".strip()] = cursor.progress
    return progress


def run(args: argparse.Namespace) -> int:
    from assets.automation import LIBRARY_TTL
    from pipelines.resources import initialized

    spotify, warehouse = initialized("spotify"), initialized("warehouse")
    with_tokens = set(spotify.users())
    known = set(warehouse.query("select distinct user_id from raw.liked_songs union "
                                "select distinct user_id from raw.playlists")["user_id"].to_list())
    users = [args.user] if args.user else sorted(with_tokens | known)
    budget = spotify.budget.state()
    print(f"warehouse: {warehouse.database_path if warehouse.is_duckdb else warehouse.storage}")
    print(f"Spotify budget ({spotify.app_client_id}): {budget.summary()}; {budget.spent} spent today")
    if not users:
        print("no users yet: run `mixtape login`")
    for user in users:
        status = read_user(warehouse, spotify.budget, user, user in with_tokens, sync_progress(warehouse, user))
        print()
        print("\n".join(render_user(status, spotify.time_source.now(), LIBRARY_TTL)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("status", help="per user: cache ages, row counts, last pushes, requests left",
                                   description=__doc__)
    parser.add_argument("--user", help="only this user")
    parser.set_defaults(func=run)
