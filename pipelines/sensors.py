"""Sensors: what starts Spotify work, per user, only when it is worth a request.

- `mixtape_automation` runs the declarative conditions of `assets/automation.py` (RUNNING by default).
- `spotify_budget` keeps the budget asset and its check current from the request budget
  (`resources.budget`), so the UI shows the requests left and the push waits while the budget is spent.
- `new_spotify_users` adds a partition for every user in the token store and syncs them.
- `spotify_changes` spends one `/me/playlists` listing and one liked-songs head request per user and
  requests runs only for the users and sources that changed; it checks each user as often as a fifth
  of the day's budget allows (every 15 min at most).
- `stale_spotify_users` is the per-user TTL: a user whose library is older than `LIBRARY_TTL` is
  refreshed (freshness policies judge whole assets, not users).

Every Spotify run request carries the `spotify_user` tag: the instance runs one sync per user at a time.
Every sensor that would spend Spotify requests skips, with the resume time, while a QUOTA_EXCEEDED
cooldown runs or the day's budget is spent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from assets.automation import BUDGET_KEY, LIBRARY_TTL
from assets.listening.sensors import LISTENING_SENSORS
from assets.ops.budget import budget_check_evaluation, budget_metadata
from assets.partitions import USER_TAG, spotify_users, syncable_users, user_tags
from assets.spotify.budget import WARM_SYNC_REQUESTS
from assets.spotify.catalog import catalog
from assets.spotify.library import liked_songs
from assets.spotify.parse import saved_entry
from assets.spotify.playlist_items import playlist_items
from assets.spotify.playlists import playlists
from assets.spotify.state import LIKED, PLAYLISTS, read_cursors
from pipelines.jobs import INGEST_JOB
from resources.budget import PAUSES, affordable
from resources.spotify import SpotifyResource
from resources.spotify_errors import SpotifyError
from resources.warehouse import Warehouse

INGEST = dg.AssetSelection.groups("spotify")
# Each sync with the sync state it keeps (one multi-asset each: materialized whole).
LIKED_KEYS = sorted(liked_songs.keys)
PLAYLIST_KEYS = sorted([*playlists.keys, *playlist_items.keys])
# The catalog is built from what the two syncs fetched: it follows either, in the same run.
CATALOG_KEYS = sorted(catalog.keys)

# What one user's change check costs: one /me/playlists page and one liked-songs head page.
CHECK_COST = 2
# Change checks may use at most this share of the day's budget; the rest is for syncs and pushes.
# (Checking 5 users every 15 min would cost 960 requests a day: more than the whole quota.)
CHANGE_CHECK_SHARE = 0.2
MIN_CHECK_INTERVAL_S = 15 * 60
TTL_CHECK_INTERVAL_S = 10 * 60
# A requested refresh that has not landed by then (failed, cancelled) may be requested again.
RETRY_AFTER_S = 60 * 60
_ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
           dg.DagsterRunStatus.STARTED]


# -- pure decisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LikedHead:
    """What the last liked-songs sync saw: the library's total and its newest like; whether it finished."""

    total: int
    newest: frozenset[tuple[str, datetime]]  # (track_id, added_at) of the newest like
    complete: bool = True


def liked_changed(head_page: dict, known: LikedHead) -> bool:
    """True when the first page of /me/tracks says the library differs from the last sync (or that
    sync has not finished)."""
    if not known.complete or head_page.get("total", 0) != known.total:
        return True
    items = head_page.get("items") or []
    if not items:
        return False
    newest = saved_entry(items[0])
    return (newest.track_id, newest.added_at) not in known.newest


def changed_playlists(listing: dict[str, str], known: dict[str, str], pushed: dict[str, str] | None = None,
                      unfinished: set[str] | None = None) -> list[str]:
    """Playlists that are new, gone, or whose snapshot id differs from the warehouse's, and those whose
    items are still half-read; a snapshot mixtape's own push produced is not a change."""
    pushed = pushed or {}
    changed = {p for p in listing.keys() | known.keys()
               if listing.get(p) != known.get(p) and not (p in listing and pushed.get(p) == listing[p])}
    return sorted(changed | ((unfinished or set()) & listing.keys()))


def stale_users(last_synced: dict[str, float | None], requested: dict[str, float], now: float,
                ttl_s: float, retry_after_s: float = RETRY_AFTER_S) -> list[str]:
    """Users whose library is older than the TTL (or never synced), oldest first, leaving out those
    whose refresh was already requested after their last sync and less than `retry_after_s` ago."""
    def waiting(user: str) -> bool:
        asked = requested.get(user)
        return asked is not None and asked > (last_synced[user] or 0) and now - asked < retry_after_s

    stale = [u for u, synced in last_synced.items() if (synced is None or now - synced > ttl_s) and not waiting(u)]
    return sorted(stale, key=lambda u: (last_synced[u] or 0, u))


def check_interval_s(budget_per_day: int | None, users: int) -> float:
    """How often each user may be checked so that checks stay within CHANGE_CHECK_SHARE of the budget."""
    if budget_per_day is None or users == 0:
        return MIN_CHECK_INTERVAL_S
    checks_per_user_per_day = budget_per_day * CHANGE_CHECK_SHARE / (users * CHECK_COST)
    return max(MIN_CHECK_INTERVAL_S, 86400 / max(checks_per_user_per_day, 1e-9))


def due_for_check(users: list[str], checked: dict[str, float], now: float, interval_s: float) -> list[str]:
    """Users whose last check is at least `interval_s` old, the longest-unchecked first."""
    due = [u for u in users if now - checked.get(u, float("-inf")) >= interval_s]
    return sorted(due, key=lambda u: (checked.get(u, float("-inf")), u))


# -- instance and warehouse reads ---------------------------------------------------------------


def last_synced(warehouse: Warehouse, user: str) -> float | None:
    """When the user's liked songs and playlist listing were last synced (the older of the two, epoch
    seconds by the resource's clock), from the ingestion's cursors; None before both were."""
    cursors = read_cursors(warehouse, user)
    times = [c.updated_at if (c := cursors.get((source, ""))) else None for source in (LIKED, PLAYLISTS)]
    if None in times:
        return None
    return min(times).replace(tzinfo=UTC).timestamp()


def has_active_run(instance: dg.DagsterInstance, user: str) -> bool:
    """A run for this user is queued or running: wait for it instead of requesting another."""
    runs = instance.get_run_records(dg.RunsFilter(tags={USER_TAG: user}, statuses=_ACTIVE), limit=1)
    return bool(runs)


def known_liked(warehouse: Warehouse, user: str) -> LikedHead:
    """The liked-songs cursor the ingestion keeps (raw.liked_songs_sync)."""
    cursor = read_cursors(warehouse, user).get((LIKED, ""))
    if cursor is None or cursor.total is None:
        return LikedHead(0, frozenset(), complete=False)
    newest = {(cursor.anchor_track_id, cursor.anchor_added_at)} if cursor.anchor_track_id else set()
    return LikedHead(cursor.total, frozenset(newest), cursor.complete)


def known_playlists(warehouse: Warehouse, user: str) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(snapshot per playlist, snapshot of mixtape's last push per managed playlist, half-read playlists)."""
    rows = warehouse.query("select playlist_id, snapshot_id, readable and items_snapshot_id is distinct from "
                           "snapshot_id from playlists where user_id = ?", [user]).rows()
    pushed = warehouse.query("select playlist_id, snapshot_id from ops.managed_playlists where user_id = ? "
                             "and snapshot_id is not null", [user]).rows()
    return {p: s for p, s, _ in rows}, dict(pushed), {p for p, _, behind in rows if behind}


def spotify_playlists(spotify: SpotifyResource, user: str) -> dict[str, str]:
    """playlist id -> snapshot id, from one listing of /me/playlists (one page per 50 playlists)."""
    listing: dict[str, str] = {}
    for page in spotify.pages(user, spotify.my_playlists_page(user, 0)):
        listing.update({p["id"]: p["snapshot_id"] for p in page.get("items") or [] if p})
    return listing


def detect_changes(spotify: SpotifyResource, warehouse: Warehouse, user: str) -> tuple[bool, list[str]]:
    """(liked songs changed, playlists changed) for one user, for `CHECK_COST` requests."""
    playlists = changed_playlists(spotify_playlists(spotify, user), *known_playlists(warehouse, user))
    liked = liked_changed(spotify.saved_tracks_page(user, 0, 1), known_liked(warehouse, user))
    return liked, playlists


# -- sensors ------------------------------------------------------------------------------------

mixtape_automation = dg.AutomationConditionSensorDefinition(
    "mixtape_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates the assets' automation conditions: eager rebuilds, stale shared caches, the budget gate.",
)


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Reports today's Spotify request budget on ops/spotify_budget: requests left, resume time, "
                       "the budget check.")
def spotify_budget(context: dg.SensorEvaluationContext, spotify: SpotifyResource):
    """Reports today's Spotify request budget on `ops/spotify_budget` (metadata and the budget check)."""
    state = spotify.budget.state()
    fingerprint = json.dumps([state.budget, state.spent, str(state.resume_at), state.paused])
    if context.cursor == fingerprint:
        return dg.SkipReason(f"unchanged: {state.summary()}")
    return dg.SensorResult(
        asset_events=[dg.AssetObservation(asset_key=BUDGET_KEY, metadata=budget_metadata(state)),
                      budget_check_evaluation(state)],
        cursor=fingerprint,
    )


@dg.sensor(job=INGEST_JOB, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Adds a partition for each new user in the token store and starts their first sync "
                       "within budget.")
def new_spotify_users(context: dg.SensorEvaluationContext, spotify: SpotifyResource):
    """Adds a partition for each user in the token store that has none, and syncs them within budget."""
    known = set(context.instance.get_dynamic_partitions(spotify_users.name))
    new = sorted(set(spotify.users()) - known)
    if not new:
        return dg.SkipReason("no new users in the token store")
    state = spotify.budget.state()
    syncing = affordable(new, state, WARM_SYNC_REQUESTS)
    deferred = [u for u in new if u not in syncing]
    if deferred:
        context.log.info("added %s; their first sync waits: %s", deferred, state.reason() or "budget too low")
    return dg.SensorResult(
        dynamic_partitions_requests=[spotify_users.build_add_request(new)],
        run_requests=[dg.RunRequest(partition_key=u, run_key=f"onboard-{u}", tags=user_tags(u, "new_user"))
                      for u in syncing],
    )


@dg.sensor(job=INGEST_JOB, minimum_interval_seconds=TTL_CHECK_INTERVAL_S, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Per-user cache TTL: re-syncs each user whose library is older than the library TTL.")
def stale_spotify_users(context: dg.SensorEvaluationContext, spotify: SpotifyResource, warehouse: Warehouse):
    """The per-user cache TTL: refreshes each user whose library is older than LIBRARY_TTL."""
    state = spotify.budget.state()
    if state.paused:
        return dg.SkipReason(state.reason())
    now = spotify.time_source.time()
    users = [u for u in syncable_users(context.instance, spotify) if not has_active_run(context.instance, u)]
    synced = {u: last_synced(warehouse, u) for u in users}
    requested = json.loads(context.cursor) if context.cursor else {}
    due = affordable(stale_users(synced, requested, now, LIBRARY_TTL.total_seconds()), state, WARM_SYNC_REQUESTS)
    if not due:
        return dg.SkipReason(f"no user older than {LIBRARY_TTL} that the budget allows ({state.summary()})")
    requested.update({u: now for u in due})
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=u, tags=user_tags(u, "ttl")) for u in due],
        cursor=json.dumps({u: t for u, t in requested.items() if u in synced}),
    )


@dg.sensor(job=INGEST_JOB, minimum_interval_seconds=5 * 60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Cheap change detection (2 requests a user): syncs only the users and sources that changed "
                       "on Spotify.")
def spotify_changes(context: dg.SensorEvaluationContext, spotify: SpotifyResource, warehouse: Warehouse):
    """Cheap change detection: syncs only the users, and only the sources, that changed on Spotify."""
    state = spotify.budget.state()
    if state.paused:
        return dg.SkipReason(state.reason())
    instance = context.instance
    # Users never synced belong to the onboarding and TTL sensors; users with a run wait for it.
    users = [u for u in syncable_users(instance, spotify)
             if last_synced(warehouse, u) is not None and not has_active_run(instance, u)]
    now = spotify.time_source.time()
    checked: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
    interval = check_interval_s(spotify.budget_per_day, len(users))
    to_check = affordable(due_for_check(users, checked, now, interval), state, CHECK_COST)
    runs = []
    for user in to_check:
        try:
            liked, playlists = detect_changes(spotify, warehouse, user)
        except PAUSES as paused:
            context.log.info("stopping change checks: %s", paused)
            break
        except SpotifyError as error:  # no token, revoked, unavailable: try again next interval
            context.log.warning("change check of %s failed: %s", user, error)
            checked[user] = now
            continue
        checked[user] = now
        selection = (LIKED_KEYS if liked else []) + (PLAYLIST_KEYS if playlists else [])
        if selection:
            selection += CATALOG_KEYS
            tags = {**user_tags(user, "changed"), "mixtape/changed_playlists": ",".join(playlists)[:2000]}
            runs.append(dg.RunRequest(partition_key=user, asset_selection=selection, tags=tags))
    cursor = json.dumps({u: t for u, t in checked.items() if u in users})
    if not runs:
        return dg.SensorResult(cursor=cursor, skip_reason=(
            f"no changes among {len(to_check)} checked users; each user is checked every "
            f"{interval / 60:.0f} min ({state.summary()})"))
    return dg.SensorResult(run_requests=runs, cursor=cursor)


SENSORS = [mixtape_automation, spotify_budget, new_spotify_users, stale_spotify_users, spotify_changes, *LISTENING_SENSORS]
