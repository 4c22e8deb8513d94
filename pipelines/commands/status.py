"""`mixtape status [--user U] [--events N]`: the Spotify request budget left today and when it refills, the
enrichment caches' ages against their TTLs, and per user: the library's age against its TTL, how far its
sync got, the rules that are invalid, and the last sync events in full. Sends no request."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_EVENTS = 20


def age(then: datetime | None, now: datetime) -> str:
    """`3h 12m ago`, `2d 4h ago`, or `never`."""
    if then is None:
        return "never"
    return f"{duration(now - then)} ago"


def duration(span: timedelta) -> str:
    """`2d 4h`, `3h 12m`, `7m`."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def ttl(span: timedelta) -> str:
    """A TTL in its round unit: `90d`, `24h`, `5m`."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def against(then: datetime | None, now: datetime, limit: timedelta) -> str:
    """How old a cache is against its TTL: `synced 3h 12m ago (TTL 24h: fresh)`."""
    state = "stale" if then is None or now - then > limit else "fresh"
    return f"synced {age(then, now)} (TTL {ttl(limit)}: {state})"


# -- the budget ---------------------------------------------------------------------------------------


def budget_line(client_id: str, state, now: datetime) -> str:
    """What is left of the developer account's day and when it refills (or when a cooldown ends)."""
    line = f"Spotify budget ({client_id}): {state.summary()}; {state.spent} spent today"
    if state.day_ends_at is not None and not state.cooling_down:
        line += f"; refills at {state.day_ends_at:%Y-%m-%d %H:%M} UTC (in {duration(state.day_ends_at - now)})"
    return line


# -- the enrichment caches (shared by every user) ------------------------------------------------------


@dataclass(frozen=True)
class CacheStatus:
    name: str
    ttl: timedelta  # how long a hit is trusted
    rows: int
    hits: int
    misses: int
    errors: int
    oldest_hit: datetime | None
    newest: datetime | None
    due: int  # rows the next run asks again: expired, or errors


def read_caches(warehouse, now: datetime) -> list[CacheStatus]:
    from assets.enrichment.sources import SOURCES

    found = []
    for source in SOURCES:
        row = warehouse.query(
            "select count(*), count(*) filter (where status = 'hit'), count(*) filter (where status = 'miss'), "
            "count(*) filter (where status = 'error'), min(fetched_at) filter (where status = 'hit'), "
            f"max(fetched_at), count(*) filter (where status = 'error' or expires_at <= ?) from {source.table}",
            [now]).row(0)
        found.append(CacheStatus(source.name, source.ttl.hit, *row))
    return found


def render_caches(caches: list[CacheStatus], now: datetime) -> list[str]:
    lines = ["enrichment caches (shared by every user)"]
    for c in caches:
        if not c.rows:
            lines.append(f"  {c.name:<24}empty (hits live {ttl(c.ttl)})")
            continue
        oldest = (f"oldest hit {age(c.oldest_hit, now)} (TTL {ttl(c.ttl)}"
                  f"{': stale' if now - c.oldest_hit > c.ttl else ''})" if c.oldest_hit else "no hit")
        lines.append(f"  {c.name:<24}{c.rows} rows: {c.hits} hits, {c.misses} misses, {c.errors} errors; {oldest}; "
                     f"newest {age(c.newest, now)}; {c.due} due for a refresh")
    return lines


# -- one user ------------------------------------------------------------------------------------------


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
    requests_today: int
    progress: dict[str, str]
    rules: tuple[int, list[tuple[str, str]]] | str  # (valid, [(child playlist, error)]), or why the file is unusable
    events: list[dict]  # the newest first
    events_total: int


def render_user(s: UserStatus, now: datetime, library_ttl: timedelta) -> list[str]:
    """The lines `mixtape status` prints for one user."""
    lines = [
        f"{s.user}" + ("" if s.has_token else "  (no token: run `mixtape login --user " + s.user + "`)"),
        f"  liked songs     {s.liked} liked, {s.ever_liked} ever; {against(s.liked_seen_at, now, library_ttl)}",
        f"  playlists       {s.playlists} ({s.readable_playlists} readable), {s.playlist_items} items; "
        f"{against(s.playlists_fetched_at, now, library_ttl)}",
        f"  requests today  {s.requests_today}",
    ]
    for name, value in s.progress.items():
        lines.append(f"  sync {name}: {value}")
    lines += _rules(s.rules)
    lines += _events(s.events, s.events_total, now)
    return lines


def _rules(rules: tuple[int, list[tuple[str, str]]] | str) -> list[str]:
    if isinstance(rules, str):
        return [f"  rules           the rule file cannot be used: {rules}"]
    valid, invalid = rules
    lines = [f"  rules           {valid} child playlist(s) valid, {len(invalid)} invalid"]
    return lines + [f"    {name!r}: {error}" for name, error in invalid]


def _events(events: list[dict], total: int, now: datetime) -> list[str]:
    if not total:
        return ["  sync events     none"]
    shown = f"the last {len(events)}, newest first" if len(events) < total else "newest first"
    lines = [f"  sync events     {total} ({shown})"]
    lines += [f"    {event_line(e, now)}" for e in events]
    if len(events) < total:
        lines.append(f"    ... and {total - len(events)} earlier (--events N shows more, --events 0 all)")
    return lines


def event_line(e: dict, now: datetime) -> str:
    """One push of one child playlist, in full."""
    when = e["completed_at"] or e["started_at"]
    head = f"{e['started_at']:%Y-%m-%d %H:%M:%S} {e['child_playlist']!r} {e['status']}"
    head += " (dry run)" if e["dry_run"] else ""
    head += f" {age(when, now)}"
    parts = [f"{e['strategy'] or 'no plan'}: +{e['adds']} -{e['removes']} ~{e['moves']}",
             f"{e['tracks_processed']} tracks",
             f"{e['api_requests']} requests ({e['write_requests']} writes, {e['requests_saved']} saved)"]
    if e["unpushable"]:
        parts.append(f"{e['unpushable']} unpushable")
    if e["uncertain_writes"]:
        parts.append(f"{e['uncertain_writes']} uncertain writes")
    if e["error_message"]:
        parts.append(e["error_message"])
    return head + "; " + "; ".join(parts)


def read_user(warehouse, budget, user: str, has_token: bool, rules, events_shown: int) -> UserStatus:
    liked, ever, seen = _one(warehouse, "select count(*) filter (where unliked_at is null), count(*), max(last_seen_at) "
                                        "from raw.liked_songs where user_id = ?", user)
    playlists, readable, fetched = _one(warehouse, "select count(*), count(*) filter (where readable), max(fetched_at) "
                                                   "from raw.playlists where user_id = ?", user)
    (items,) = _one(warehouse, "select count(*) from raw.playlist_items where user_id = ?", user)
    (total,) = _one(warehouse, "select count(*) from ops.sync_events where user_id = ?", user)
    limit = f" limit {int(events_shown)}" if events_shown else ""
    events = warehouse.query("select * from ops.sync_events where user_id = ? order by started_at desc, created desc"
                             + limit, [user]).to_dicts()
    return UserStatus(user, has_token, liked, ever, seen, playlists, readable, items, fetched,
                      budget.spent_today(user), sync_progress(warehouse, user), rules, events, total)


def _one(warehouse, sql: str, user: str):
    return warehouse.query(sql, [user]).row(0)


def sync_progress(warehouse, user: str) -> dict[str, str]:
    """How far each sync of the user got, from the ingestion's cursors ("N of M pages fetched, ...")."""
    from assets.spotify.state import read_cursors

    progress = {}
    for (source, key), cursor in sorted(read_cursors(warehouse, user).items()):
        if cursor.progress and (not key or not cursor.complete):  # per-playlist cursors only while unfinished
            progress[f"{source} {key}".strip()] = cursor.progress
    return progress


def rule_status(warehouse, rules_file, user: str, now: datetime, profile: str) -> tuple[int, list[tuple[str, str]]] | str:
    """The user's child playlists as `mixtape rules check` judges them (the file, the app's access profile and the
    user's playlists): how many are valid, and each invalid one with its error; or why the file is unusable."""
    from assets.playlists.rules import RuleFileError, conform, features_frame
    from assets.playlists.tracklists import evaluate_user, user_playlists

    try:  # over no tracks: the checks need only the rules and the user's playlists
        result = evaluate_user(conform(features_frame([])), rules_file, user, now, profile,
                               user_playlists(warehouse, user))
    except RuleFileError as error:
        return str(error)
    invalid = result.summary.filter(result.summary["status"] == "invalid").sort("child_playlist")
    return (result.summary.height - invalid.height, list(zip(invalid["child_playlist"], invalid["reason"])))


def report(warehouse, spotify, rules_file, users: list[str] | None, events_shown: int, profile: str) -> list[str]:
    """Every line `mixtape status` prints, by the Spotify resource's clock."""
    from assets.automation import LIBRARY_TTL

    now = spotify.time_source.now()
    with_tokens = set(spotify.users())
    known = set(warehouse.query("select distinct user_id from raw.liked_songs union "
                                "select distinct user_id from raw.playlists")["user_id"].to_list())
    lines = [f"warehouse: {warehouse.database_path if warehouse.is_duckdb else warehouse.storage}",
             budget_line(spotify.app_client_id, spotify.budget.state(), now),
             f"rule file: {rules_file}", *render_caches(read_caches(warehouse, now), now)]
    users = users or sorted(with_tokens | known)
    if not users:
        lines.append("no users yet: run `mixtape login`")
    for user in users:
        status = read_user(warehouse, spotify.budget, user, user in with_tokens,
                           rule_status(warehouse, rules_file, user, now, profile), events_shown)
        lines += ["", *render_user(status, now, LIBRARY_TTL)]
    return lines


def run(args: argparse.Namespace) -> int:
    from pipelines.commands.rules import access_profile
    from pipelines.resources import initialized
    from resources.settings import Settings

    spotify, warehouse = initialized("spotify"), initialized("warehouse")
    rules_file = args.file or Settings.from_env().mixtape_rules
    profile, _ = access_profile(None)
    print("\n".join(report(warehouse, spotify, rules_file, [args.user] if args.user else None, args.events, profile)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("status", help="the budget, cache ages against their TTLs, per user: sync "
                                   "progress, invalid rules, sync events", description=__doc__)
    parser.add_argument("--user", help="only this user")
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS,
                        help=f"sync events shown per user, newest first (default {DEFAULT_EVENTS}; 0: all)")
    parser.add_argument("--file", help="the rule file (default: MIXTAPE_RULES or playlists.yaml)")
    parser.set_defaults(func=run)
