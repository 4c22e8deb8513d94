"""Liked songs, incrementally and resumably under the daily quota."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from assets.automation import LIBRARY_FRESHNESS
from assets.partitions import spotify_users
from assets.progress import Progress
from assets.spend import record_spend
from assets.spotify.budget import allowance
from assets.spotify.parse import item_of, saved_entry, track_object_row
from assets.spotify.state import (
    LIKED, Cursor, cursors_of, held_prefix_of, history_of, read_tables, save_track_objects, sync_table,
    write_cursors, write_held_prefix, write_history,
)
from assets.tables import table_spec
from assets.spotify.sync_plan import (
    DEFAULT_FULL_SYNC_TTL, LikedProgress, Page, Saved, held_library, pages, merge_liked, needs_full_resync, sync_liked, sync_progress,
)
from resources.budget import pausable
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

LIKED_SONGS_KEY = dg.AssetKey(["spotify", "liked_songs"])
LIKED_HELD_KEY = dg.AssetKey(["spotify", "liked_songs_held"])
LIKED_SYNC_KEY = dg.AssetKey(["spotify", "liked_songs_sync"])
LIKED_OBJECTS_KEY = dg.AssetKey(["spotify", "liked_track_objects"])
LIKED_OBJECTS = "raw.liked_track_objects"


class LikedSongsConfig(dg.Config):
    force_full_sync: bool = False
    full_sync_ttl_days: float = DEFAULT_FULL_SYNC_TTL.days


def _fetcher(spotify: SpotifyResource, user: str, objects: list[dict], progress: Progress):
    def fetch(offset: int) -> Page:
        page = pausable(lambda: spotify.saved_tracks_page(user, offset))
        objects.extend(track_object_row(item_of(entry)) for entry in page["items"])
        # the whole as if the read went on to the end: exact for a read from the top, and from where a
        # resumed read continues; an incremental read usually stops long before
        progress.advance(total=progress.done + 1 + pages(page["total"] - offset - len(page["items"])))
        return Page(offset, [saved_entry(entry) for entry in page["items"]], page["total"])
    return fetch


@dg.multi_asset(
    specs=[
        table_spec(LIKED_SONGS_KEY.path, "raw.liked_songs", "The user's liked songs with their history (liked_at, "
                   "unliked_at, re-likes), read incrementally.", kinds={"spotify"}, freshness_policy=LIBRARY_FRESHNESS),
        table_spec(LIKED_HELD_KEY.path, "raw.liked_songs_held", "The top of Liked Songs fetched so far by a sync that "
                   "has not finished (empty once complete).", kinds={"spotify"}),
        table_spec(LIKED_SYNC_KEY.path, sync_table(LIKED), "Where the user's liked-songs sync stands: pages read, "
                   "total, newest entry held, last full read.", kinds={"spotify"}),
        table_spec(LIKED_OBJECTS_KEY.path, LIKED_OBJECTS, "The inline track objects seen in the user's liked songs, "
                   "the newest version of each.", kinds={"spotify"}),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def liked_songs(context: dg.AssetExecutionContext, config: LikedSongsConfig, warehouse: Warehouse,
                spotify: SpotifyResource) -> Iterator[dg.MaterializeResult]:
    """Liked songs, read incrementally from the newest until a known entry, and the sync state that
    lets a run cut short by the budget resume where it stopped."""
    user = context.partition_key
    now = spotify.time_source.now()
    tables = read_tables(warehouse, user, [sync_table(LIKED), "raw.liked_songs", "raw.liked_songs_held", LIKED_OBJECTS])
    cursors = cursors_of(tables[sync_table(LIKED)])
    cursor = cursors.get((LIKED, "")) or Cursor(LIKED)
    history = history_of(tables["raw.liked_songs"])
    unfinished = cursor.total is not None and not cursor.complete
    prefix = held_prefix_of(tables["raw.liked_songs_held"]) if unfinished else held_library(history)
    old_total = cursor.total if cursor.total is not None else len(prefix)
    full = not unfinished and needs_full_resync(cursor.last_full_sync_at, now,
                                                timedelta(days=config.full_sync_ttl_days), config.force_full_sync)

    objects: list[dict] = []
    held_rows = {"written": not tables["raw.liked_songs_held"].is_empty()}

    def checkpoint(held: list[Saved], total: int) -> None:
        """Commit the pages read so far, as a run stopped here would: a killed run resumes from them."""
        save_track_objects(warehouse, LIKED_OBJECTS, user, objects, now, tables[LIKED_OBJECTS])
        _save(warehouse, user, LikedProgress(prefix=held, total=total, mode="full"), history, cursor, now,
              spotify.budget_per_day, had_prefix=True)
        held_rows["written"] = True

    progress = Progress(f"liked songs of {user}", 0, "pages", context.log.info)
    result = sync_liked(prefix, old_total, _fetcher(spotify, user, objects, progress),
                        allowance=allowance(context, spotify, warehouse, user), full=full, checkpoint=checkpoint)
    seen = save_track_objects(warehouse, LIKED_OBJECTS, user, objects, now, tables[LIKED_OBJECTS])
    counts = _save(warehouse, user, result, history, cursor, now, spotify.budget_per_day,
                   had_prefix=held_rows["written"])
    context.log.info(f"liked songs of {user}: {cursor.progress}" + (f"; stopped: {result.stopped}" if result.stopped else ""))
    yield dg.MaterializeResult(asset_key=LIKED_SONGS_KEY, metadata={
        **counts,
        **record_spend(context, spotify.ledger),
        "mode": result.mode,
        "minimum_requests": run_minimum(result, [] if full else prefix),
        "located_removal_requests": result.probes,
        "complete": result.complete,
        "progress": cursor.progress,
        **({"stopped": result.stopped} if result.stopped else {}),
    })
    yield dg.MaterializeResult(asset_key=LIKED_HELD_KEY, metadata={
        "dagster/row_count": 0 if result.complete else len(result.prefix)})
    yield dg.MaterializeResult(asset_key=LIKED_SYNC_KEY, metadata={"dagster/row_count": 1, "progress": cursor.progress})
    yield dg.MaterializeResult(asset_key=LIKED_OBJECTS_KEY, metadata={"seen": seen})


def run_minimum(result: LikedProgress, held_before: list) -> int:
    """The fewest requests that could have brought what this run brought: its entries not held before,
    in pages of 50, and at least the head check."""
    kept = len(held_before) - len(result.removed)
    return max(1, pages(len(result.prefix) - kept)) if result.total is not None else 0


def _save(warehouse: Warehouse, user: str, result: LikedProgress, history, cursor: Cursor, now,
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
    write_cursors(warehouse, user, LIKED, [cursor])
    return counts
