"""Playlist items: re-read only for playlists whose snapshot changed; every page is staged as it arrives,
so a read cut short (by the budget or a kill) resumes after its last page."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from assets.automation import LIBRARY_FRESHNESS
from assets.partitions import spotify_users
from assets.progress import Progress
from assets.spend import record_spend
from assets.spotify.budget import allowance
from assets.spotify.parse import item_of, playlist_item_row, playlist_listing, track_object_row
from assets.spotify.playlists import PLAYLISTS_KEY, can_read_any
from assets.spotify.state import (
    ITEMS, Cursor, cursors_of, library_progress, read_tables, same_rows, save_track_objects, staged_cursors,
    sync_table, write_cursors,
)
from assets.spotify.sync_plan import ItemsRead, pages, plan_playlists, sync_progress
from assets.tables import table_spec
from resources.budget import OutOfBudget, pausable
from resources.spotify import SpotifyResource
from resources.spotify_errors import SpotifyForbidden, SpotifyNotFound
from resources.warehouse import Warehouse

PLAYLIST_ITEMS_KEY = dg.AssetKey(["spotify", "playlist_items"])
ITEMS_STAGING_KEY = dg.AssetKey(["spotify", "playlist_items_staging"])
ITEMS_SYNC_KEY = dg.AssetKey(["spotify", "playlist_items_sync"])
PLAYLIST_OBJECTS_KEY = dg.AssetKey(["spotify", "playlist_track_objects"])
PLAYLIST_OBJECTS = "raw.playlist_track_objects"
STAGING = "raw.playlist_items_staging"


class PlaylistItemsConfig(dg.Config):
    force_reread: bool = False


@dataclass
class ItemsRun:
    """What one playlist-items run read."""

    rows: dict[str, list[dict]] = field(default_factory=dict)         # completed playlist -> its rows
    partial: dict[str, tuple[ItemsRead, list[dict]]] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    objects: list[dict] = field(default_factory=list)
    stopped: str | None = None


@dg.multi_asset(
    specs=[
        table_spec(PLAYLIST_ITEMS_KEY.path, "raw.playlist_items", "Every entry of the user's readable playlists, "
                   "faithfully; re-read only where the snapshot changed.", kinds={"spotify"},
                   freshness_policy=LIBRARY_FRESHNESS, deps=[PLAYLISTS_KEY]),
        table_spec(ITEMS_STAGING_KEY.path, STAGING, "Pages of playlists whose read is under way or was cut short, "
                   "kept with the snapshot they belong to.", kinds={"spotify"}, deps=[PLAYLISTS_KEY]),
        table_spec(ITEMS_SYNC_KEY.path, sync_table(ITEMS), "Per playlist: the snapshot its items were read at, "
                   "where a cut-short read resumes, or why Spotify refused it.", kinds={"spotify"}, deps=[PLAYLISTS_KEY]),
        table_spec(PLAYLIST_OBJECTS_KEY.path, PLAYLIST_OBJECTS, "The inline track objects seen in the user's "
                   "playlist items, the newest version of each.", kinds={"spotify"}, deps=[PLAYLISTS_KEY]),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def playlist_items(context: dg.AssetExecutionContext, config: PlaylistItemsConfig, warehouse: Warehouse,
                   spotify: SpotifyResource) -> Iterator[dg.MaterializeResult]:
    """Reads the items of the playlists whose snapshot changed since their last complete read."""
    user = context.partition_key
    now = spotify.time_source.now()
    tables = read_tables(warehouse, user, ["raw.playlists", "raw.playlist_items", STAGING, sync_table(ITEMS),
                                           PLAYLIST_OBJECTS])
    listed = tables["raw.playlists"]
    listings = [playlist_listing({"id": r["playlist_id"], "snapshot_id": r["snapshot_id"], "owner": {"id": r["owner_id"]},
                                  "collaborative": r["collaborative"], "items": {"total": r["items_total"]}})
                for r in listed.iter_rows(named=True)]
    cursors = cursors_of(tables[sync_table(ITEMS)])
    old_items = tables["raw.playlist_items"]
    read_snapshots = {p: "" for p in old_items["playlist_id"].unique()}  # items held, snapshot unknown
    read_snapshots.update({c.key: c.snapshot_id for c in cursors.values() if c.complete})  # read, or refused there
    plan = plan_playlists(user, listings, read_snapshots, staged_cursors(tables[STAGING]),
                          can_read_any(spotify, warehouse, user), config.force_reread)
    staging = _keep_resumed_pages(warehouse, user, tables[STAGING], plan.reads)
    staged = {"pages": 0}
    progress = Progress(f"playlist items of {user}", sum(r.requests for r in plan.reads), "pages", context.log.info)

    def stage(read: ItemsRead, rows: list[dict], objects: list[dict]) -> None:
        """Commit one page, with its track objects, as it arrives: a killed run resumes after it."""
        fresh = [o for o in objects if o]
        warehouse.append_together({
            PLAYLIST_OBJECTS: pl.DataFrame(fresh, infer_schema_length=None).with_columns(pl.lit(now).alias("seen_at"))
            if fresh else pl.DataFrame(),
            STAGING: _frame({read.playlist_id: rows}, {read.playlist_id: {"snapshot_id": read.snapshot_id}}),
        }, user)
        staged["pages"] += 1
        progress.advance()

    run = _read_items(spotify, user, plan.reads, staging, allowance(context, spotify, warehouse, user), stage)
    # items, then cursors, then the staging: a kill between two of these writes leaves a state the next
    # run reads correctly (the pages of a read done that are still staged are taken again, at no request)
    counts = _save_items(warehouse, user, tables, run, force=staged["pages"] > 0)
    sync = _sync_rows(plan, run, cursors, listed, now, spotify.budget_per_day)
    if sync != sorted(cursors.values(), key=lambda c: c.key):
        write_cursors(warehouse, user, ITEMS, sync)
    _save_staging(warehouse, user, run, tables[STAGING], force=staged["pages"] > 0)
    seen = save_track_objects(warehouse, PLAYLIST_OBJECTS, user, run.objects, now, tables[PLAYLIST_OBJECTS])
    if run.partial:
        context.log.info(f"playlist items of {user}: {len(run.partial)} playlists to finish; stopped: {run.stopped}")
    yield dg.MaterializeResult(asset_key=PLAYLIST_ITEMS_KEY, metadata={
        **counts,
        "playlists_read": len(run.rows),
        "playlists_unchanged": len(plan.unchanged),
        "playlists_unreadable": len(plan.unreadable) + len(run.unreadable),
        "playlists_restarted": len(plan.restarted),
        "minimum_requests": sum(r.requests for r in plan.reads),
        "library_progress": library_progress(warehouse, user, spotify.budget_per_day, now.date()),
        **record_spend(context, spotify.ledger),
        **({"stopped": run.stopped} if run.stopped else {}),
    })
    yield dg.MaterializeResult(asset_key=ITEMS_STAGING_KEY, metadata={
        "dagster/row_count": sum(len(rows) for _, rows in run.partial.values())})
    yield dg.MaterializeResult(asset_key=ITEMS_SYNC_KEY, metadata={
        "dagster/row_count": len(sync), "partial": len(run.partial), "refused": sum(1 for c in sync if c.refused)})
    yield dg.MaterializeResult(asset_key=PLAYLIST_OBJECTS_KEY, metadata={"seen": seen})


def _resumed(read: ItemsRead) -> pl.Expr:
    """The staged rows a read resumes from: its playlist's at its snapshot, before its offset."""
    return (pl.col("playlist_id") == read.playlist_id) & (pl.col("snapshot_id") == read.snapshot_id) \
        & (pl.col("position") < read.offset)


def _staged(staging: pl.DataFrame, read: ItemsRead) -> list[dict]:
    """Rows already fetched for a read that resumes part-way."""
    if read.offset == 0:
        return []
    mine = staging.filter(_resumed(read))
    return mine.sort("position").drop("user_id", "playlist_id", "snapshot_id").to_dicts()


def _keep_resumed_pages(warehouse: Warehouse, user: str, staging: pl.DataFrame, reads: list[ItemsRead]) -> pl.DataFrame:
    """The staged pages the planned reads resume from; the pages of a read restarted (snapshot moved) or
    dropped go before any new page is staged, so the staging holds one snapshot per playlist."""
    resumed = [_resumed(r) for r in reads if r.offset]
    kept = staging.filter(pl.any_horizontal(resumed)) if resumed else staging.clear()
    if kept.height != staging.height:
        warehouse.replace_partition(STAGING, user, kept.drop("user_id"))
    return kept


def _stopped_at(run: ItemsRun, reads: list[ItemsRead], read: ItemsRead, offset: int, total: int, rows: list[dict],
                staging: pl.DataFrame) -> ItemsRun:
    """`run` as if it stopped during `read` at `offset`: that read and the later ones are partial."""
    partial = dict(run.partial)
    partial[read.playlist_id] = (ItemsRead(read.playlist_id, read.snapshot_id, offset, total), list(rows))
    for later in reads[reads.index(read) + 1:]:
        partial[later.playlist_id] = (later, _staged(staging, later))
    return ItemsRun(dict(run.rows), partial, dict(run.unreadable), list(run.objects), run.stopped)


def _read_items(spotify: SpotifyResource, user: str, reads: list[ItemsRead], staging: pl.DataFrame,
                budget: int | None, stage: Callable[[ItemsRead, list[dict], list[dict]], None]) -> ItemsRun:
    """Read the planned pages; `stage(read, rows, objects)` commits each page as it arrives."""
    run, spent = ItemsRun(), 0
    for read in reads:
        rows, offset, total = _staged(staging, read), read.offset, read.items_total
        try:
            while offset < total:
                if budget is not None and spent >= budget:
                    raise OutOfBudget()
                page = pausable(lambda: spotify.playlist_items_page(user, read.playlist_id, offset))
                spent += 1
                fresh = [playlist_item_row(entry, offset + i) for i, entry in enumerate(page["items"])]
                objects = [track_object_row(item_of(entry)) for entry in page["items"]]
                rows += fresh
                run.objects += objects
                total, offset = page["total"], offset + len(page["items"])
                if not page["items"]:
                    break
                stage(read, fresh, objects)
        except OutOfBudget as stop:
            run = _stopped_at(run, reads, read, offset, total, rows, staging)
            run.stopped = stop.why
            break
        except (SpotifyForbidden, SpotifyNotFound) as refused:
            run.unreadable[read.playlist_id] = str(refused)
            continue
        run.rows[read.playlist_id] = rows
    return run


def _frame(rows_by_playlist: dict[str, list[dict]], extra: dict[str, dict] | None = None) -> pl.DataFrame:
    rows = [{"playlist_id": pid, **(extra or {}).get(pid, {}), **row}
            for pid, rows in rows_by_playlist.items() for row in rows]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def _save_items(warehouse: Warehouse, user: str, tables: dict[str, pl.DataFrame], run: ItemsRun,
                force: bool = False) -> dict:
    """Replace the items of re-read playlists, drop those of gone or unreadable ones."""
    listed, old_items = tables["raw.playlists"], tables["raw.playlist_items"]
    readable_now = {r["playlist_id"] for r in listed.iter_rows(named=True) if r["readable"]} - set(run.unreadable)
    replaced = set(run.rows)
    kept = old_items.filter(pl.col("playlist_id").is_in(readable_now) & ~pl.col("playlist_id").is_in(replaced))
    fresh = _frame(run.rows)
    items = pl.concat([kept.drop("user_id"), fresh.select(kept.drop("user_id").columns).cast(kept.drop("user_id").schema)]) \
        if not fresh.is_empty() else kept.drop("user_id")
    if force or not same_rows(old_items.drop("user_id"), items):
        warehouse.replace_partition("raw.playlist_items", user, items)

    identity = ["playlist_id", "position", "item_type", "uri", "added_at", "added_by"]
    before, after = set(old_items.select(identity).rows()), set(items.select(identity).rows())
    return {
        "dagster/row_count": items.height,
        "new": len(after - before),
        "removed": len(before - after),
        "changed_playlists": len(replaced),
        "playlists_partial": len(run.partial),
    }


def _save_staging(warehouse: Warehouse, user: str, run: ItemsRun, old_staging: pl.DataFrame, force: bool) -> None:
    """Keep the pages of the reads still partial, and only those."""
    snapshots = {pid: read.snapshot_id for pid, (read, _) in run.partial.items()}
    staging = _frame({pid: rows for pid, (_, rows) in run.partial.items()},
                     {pid: {"snapshot_id": s} for pid, s in snapshots.items()})
    if force or not (staging.is_empty() and old_staging.is_empty()):
        warehouse.replace_partition(STAGING, user, staging if not staging.is_empty() else old_staging.drop("user_id").clear())


def _sync_rows(plan, run: ItemsRun, cursors: dict, listed: pl.DataFrame, now, per_day: int | None) -> list[Cursor]:
    """One row per readable playlist whose items were read (or refused) at a snapshot, or are being read."""
    readable = {r["playlist_id"] for r in listed.iter_rows(named=True) if r["readable"]}
    rows = {c.key: c for c in cursors.values() if c.complete and c.key in readable}
    snapshot_of = {r.playlist_id: r.snapshot_id for r in plan.reads}
    for pid, items in run.rows.items():
        rows[pid] = Cursor(ITEMS, pid, snapshot_of[pid], total=len(items), pages_done=pages(len(items)),
                           pages_total=pages(len(items)), complete=True, updated_at=now)
    for pid, why in run.unreadable.items():
        rows[pid] = Cursor(ITEMS, pid, snapshot_of[pid], complete=True, refused=why, updated_at=now)
    for pid, (read, _) in run.partial.items():
        progress = sync_progress(pages(read.offset), pages(read.items_total), per_day, now.date())
        rows[pid] = Cursor(ITEMS, pid, read.snapshot_id, read.offset, read.items_total, pages_done=pages(read.offset),
                           pages_total=pages(read.items_total), complete=False, progress=progress.describe(),
                           updated_at=now)
    return [rows[pid] for pid in sorted(rows)]
