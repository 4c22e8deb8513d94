"""Liked songs, incrementally (seed 000) and resumably under the daily quota (issue 10)."""

from datetime import timedelta

import dagster as dg

from assets.automation import LIBRARY_FRESHNESS
from assets.partitions import spotify_users
from assets.spend import record_spend, requests_delta
from assets.spotify.budget import allowance, pausable
from assets.spotify.parse import item_of, saved_entry, track_object_row
from assets.spotify.state import (
    LIKED, Cursor, cursors_of, held_prefix_of, history_of, now_of, read_tables, save_track_objects, write_cursors,
    write_held_prefix, write_history,
)
from assets.spotify.sync_plan import (
    DEFAULT_FULL_SYNC_TTL, LikedProgress, Page, held_library, pages, merge_liked, needs_full_resync, sync_liked, sync_progress,
)
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

LIKED_SONGS_KEY = dg.AssetKey(["raw", "liked_songs"])


class LikedSongsConfig(dg.Config):
    force_full_sync: bool = False
    full_sync_ttl_days: float = DEFAULT_FULL_SYNC_TTL.days


def _fetcher(spotify: SpotifyResource, user: str, objects: list[dict]):
    def fetch(offset: int) -> Page:
        page = pausable(lambda: spotify.saved_tracks_page(user, offset))
        objects.extend(track_object_row(item_of(entry)) for entry in page["items"])
        return Page(offset, [saved_entry(entry) for entry in page["items"]], page["total"])
    return fetch


@dg.asset(
    key=LIKED_SONGS_KEY,
    partitions_def=spotify_users,
    group_name="spotify",
    kinds={"spotify", "duckdb", "parquet", "polars"},
    pool="duckdb_write",
    freshness_policy=LIBRARY_FRESHNESS,  # refreshed per user by the TTL and change sensors
    metadata={"partition_expr": "user_id"},
)
def liked_songs(context: dg.AssetExecutionContext, config: LikedSongsConfig, warehouse: Warehouse,
                spotify: SpotifyResource) -> dg.MaterializeResult:
    """The user's liked songs with their history (liked_at, unliked_at, re-likes), read incrementally."""
    user = context.partition_key
    now = now_of(spotify)
    tables = read_tables(warehouse, user, ["raw.sync_cursors", "raw.liked_songs", "raw.liked_songs_cursor",
                                           "raw.track_objects"])
    cursors = cursors_of(tables["raw.sync_cursors"])
    cursor = cursors.get((LIKED, "")) or Cursor(LIKED)
    history = history_of(tables["raw.liked_songs"])
    unfinished = cursor.total is not None and not cursor.complete
    prefix = held_prefix_of(tables["raw.liked_songs_cursor"]) if unfinished else held_library(history)
    old_total = cursor.total if cursor.total is not None else len(prefix)
    full = not unfinished and needs_full_resync(cursor.last_full_sync_at, now,
                                                timedelta(days=config.full_sync_ttl_days), config.force_full_sync)

    before = spotify.requests_spent(user)
    objects: list[dict] = []
    result = sync_liked(prefix, old_total, _fetcher(spotify, user, objects),
                        allowance=allowance(context, spotify, warehouse, user), full=full)
    save_track_objects(warehouse, user, objects, now, tables["raw.track_objects"])
    counts = _save(warehouse, user, result, history, cursor, cursors, now, spotify.budget_per_day,
                   had_prefix=not tables["raw.liked_songs_cursor"].is_empty())
    spent = requests_delta(before, spotify.requests_spent(user))
    context.log.info(f"liked songs of {user}: {cursor.progress}" + (f"; stopped: {result.stopped}" if result.stopped else ""))
    return dg.MaterializeResult(metadata={
        **counts,
        **record_spend(warehouse, context, spent),
        "mode": result.mode,
        "minimum_requests": run_minimum(result, [] if full else prefix),
        "located_removal_requests": result.probes,
        "complete": result.complete,
        "progress": cursor.progress,
        **({"stopped": result.stopped} if result.stopped else {}),
    })


def run_minimum(result: LikedProgress, held_before: list) -> int:
    """The fewest requests that could have brought what this run brought: its entries not held before,
    in pages of 50, and at least the head check."""
    kept = len(held_before) - len(result.removed)
    return max(1, pages(len(result.prefix) - kept)) if result.total is not None else 0


def _save(warehouse: Warehouse, user: str, result: LikedProgress, history, cursor: Cursor, cursors, now,
          per_day: int | None, had_prefix: bool) -> dict:
    """Write history (when the whole library is known) or the held prefix (when not), and the cursor."""
    if result.complete:
        rows, merged = merge_liked(history, result.prefix, now)
        if merged.changed or len(rows) != len(history):
            write_history(warehouse, user, rows)
        if had_prefix:
            write_held_prefix(warehouse, user, [])
        if result.mode == "full":
            cursor.last_full_sync_at = now
        counts = {"dagster/row_count": len(rows), "liked": len(result.prefix), "new": merged.new,
                  "relikes": merged.relikes, "removed": merged.unliked}
    else:
        write_held_prefix(warehouse, user, result.prefix)
        counts = {"dagster/row_count": len(history), "held_so_far": len(result.prefix), "new": 0, "relikes": 0, "removed": 0}
    progress = sync_progress(result.pages_done, result.pages_total, per_day, now.date())
    newest = result.prefix[0] if result.prefix else None
    cursor.total, cursor.next_offset = result.total, None if result.complete else len(result.prefix)
    cursor.anchor_track_id = newest.track_id if newest else None
    cursor.anchor_added_at = newest.added_at if newest else None
    cursor.pages_done, cursor.pages_total = result.pages_done, result.pages_total
    cursor.complete, cursor.progress, cursor.updated_at = result.complete, progress.describe(), now
    write_cursors(warehouse, user, LIKED, [cursor], cursors)
    return counts
