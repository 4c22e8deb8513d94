"""Sensors of listening: what starts a play read, per user.

- `recently_played_poller` reads each user's recently-played when the poll schedule
  (`poll_schedule`) says it is due: soon enough that Spotify's 50 remembered plays do not overflow,
  and no sooner, within the share of the day's request budget polling may use. The Last.fm scrobbles
  and the merged plays follow in the same run.
- `new_export_files` notices export files dropped in `<data dir>/imports/<user>/` (its cursor: the
  files seen, by name, size and modification time) and imports them.
"""

import json
from datetime import UTC

import dagster as dg

from assets.listening.plays import (
    HISTORY_FILES_KEY, HISTORY_KEY, PLAYS_KEY, POLLS, POLLS_KEY, RECENTLY_PLAYED_KEY, SCROBBLES_KEY, imports_dir,
)
from assets.listening.poll_schedule import PACE_DAYS, Bounds, Poll, bounds, fastest_rate, next_interval_s
from assets.partitions import spotify_users, syncable_users, user_tags
from resources.budget import affordable
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

POLL_KEYS = [RECENTLY_PLAYED_KEY, POLLS_KEY, SCROBBLES_KEY, PLAYS_KEY]
IMPORT_KEYS = [HISTORY_KEY, HISTORY_FILES_KEY, PLAYS_KEY]
POLL_COST = 1  # one recently-played request
# A requested poll whose run has not landed by then (failed, cancelled) may be requested again.
RETRY_AFTER_S = 15 * 60


def due_at(polls: list[Poll], limits: Bounds) -> float:
    """When the user's next poll is due, by their recent polls: at once for a user never polled."""
    if not polls:
        return float("-inf")
    return max(p.polled_at for p in polls) + next_interval_s(fastest_rate(polls), limits)


def due_users(polls: dict[str, list[Poll]], requested: dict[str, float], now: float, limits: Bounds,
              retry_after_s: float = RETRY_AFTER_S) -> list[str]:
    """Users whose poll is due, the most overdue first, leaving out those whose poll was requested after
    their last poll and less than `retry_after_s` ago."""
    def waiting(user: str) -> bool:
        asked = requested.get(user)
        last = max((p.polled_at for p in polls[user]), default=float("-inf"))
        return asked is not None and asked > last and now - asked < retry_after_s

    due = [u for u, recent in polls.items() if due_at(recent, limits) <= now and not waiting(u)]
    return sorted(due, key=lambda u: (due_at(polls[u], limits), u))


def recent_polls(warehouse: Warehouse, users: list[str]) -> dict[str, list[Poll]]:
    """Each user's polls of the `PACE_DAYS` up to their latest, from the poll log (none: never polled)."""
    rows = warehouse.query(f"select user_id, polled_at, plays, since_previous_s from (select *, max(polled_at) over "
                           f"(partition by user_id) as latest from {POLLS}) "
                           f"where polled_at >= latest - interval {PACE_DAYS} day").rows()
    found: dict[str, list[Poll]] = {u: [] for u in users}
    for user, at, plays, since in rows:
        if user in found:
            found[user].append(Poll(at.replace(tzinfo=UTC).timestamp(), plays or 0, since))
    return found


@dg.sensor(target=POLL_KEYS, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Reads each user's recently-played when the adaptive poll schedule says it is due, within "
                       "budget.")
def recently_played_poller(context: dg.SensorEvaluationContext, spotify: SpotifyResource, warehouse: Warehouse):
    """Reads each user's recently-played when the adaptive poll schedule says it is due, within budget."""
    state = spotify.budget.state()
    if state.paused:
        return dg.SkipReason(state.reason())
    users = syncable_users(context.instance, spotify)
    limits = bounds(spotify.budget_per_day, len(users))
    now = spotify.time_source.time()
    requested: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
    due = affordable(due_users(recent_polls(warehouse, users), requested, now, limits), state, POLL_COST)
    if not due:
        return dg.SkipReason(f"no user due: polls every {limits.shortest_s / 60:.0f}-{limits.longest_s / 60:.0f} min "
                             f"by how fast each listened lately ({state.summary()})")
    requested.update({u: now for u in due})
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=u, asset_selection=POLL_KEYS, tags=user_tags(u, "recently_played"))
                      for u in due],
        cursor=json.dumps({u: t for u, t in requested.items() if u in users}),
    )


def file_signatures(directory) -> list[str]:
    """name:size:mtime of each file in a user's imports folder (a file replaced by another differs)."""
    if not directory.is_dir():
        return []
    return sorted(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in directory.iterdir() if p.is_file())


@dg.sensor(target=IMPORT_KEYS, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Imports the Extended Streaming History files a user drops in their imports folder.")
def new_export_files(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Imports the Extended Streaming History files a user drops in their imports folder."""
    seen: dict[str, list[str]] = json.loads(context.cursor) if context.cursor else {}
    now_files = {u: file_signatures(imports_dir(warehouse.data_dir, u))
                 for u in context.instance.get_dynamic_partitions(spotify_users.name)}
    changed = sorted(u for u, files in now_files.items() if set(files) - set(seen.get(u, [])))
    cursor = json.dumps({u: files for u, files in now_files.items() if files})
    if not changed:
        return dg.SensorResult(cursor=cursor, skip_reason="no new export files")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=u, asset_selection=IMPORT_KEYS, tags=user_tags(u, "export_files"))
                      for u in changed],
        cursor=cursor,
    )


LISTENING_SENSORS = [recently_played_poller, new_export_files]
