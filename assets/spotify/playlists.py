"""Playlists: one listing of /me/playlists, and items re-read only where the snapshot changed."""

from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from assets.automation import LIBRARY_FRESHNESS
from assets.partitions import spotify_users
from assets.spend import record_spend, requests_delta
from assets.spotify.budget import allowance, pausable
from assets.spotify.library import LIKED_SONGS_KEY
from assets.spotify.parse import item_of, playlist_item_row, playlist_listing, playlist_row, track_object_row
from assets.spotify.state import (
    ITEMS, PLAYLISTS, Cursor, cursors_of, item_cursors, library_progress, now_of, read_tables, same_rows, save_track_objects,
    write_cursors,
)
from assets.spotify.sync_plan import (
    PAGE, ItemsRead, OutOfBudget, pages, plan_playlists, sync_progress, unreadable_reason,
)
from resources.spotify import SpotifyResource
from resources.spotify_errors import SpotifyForbidden, SpotifyNotFound
from resources.warehouse import Warehouse

PLAYLISTS_KEY = dg.AssetKey(["raw", "playlists"])
PLAYLIST_ITEMS_KEY = dg.AssetKey(["raw", "playlist_items"])
KINDS = {"spotify", "duckdb", "parquet", "polars"}


class PlaylistItemsConfig(dg.Config):
    force_reread: bool = False


def _can_read_any(spotify: SpotifyResource) -> bool:
    """Extended access reads any playlist's items; known only from an earlier probe, never probed here."""
    profile = spotify.ledger.cached_profile(spotify.app_client_id, 0, float("inf"))
    return profile == "extended"


@dg.asset(
    key=PLAYLISTS_KEY,
    partitions_def=spotify_users,
    group_name="spotify",
    kinds=KINDS,
    pool="duckdb_write",
    freshness_policy=LIBRARY_FRESHNESS,  # refreshed per user by the TTL and change sensors
    deps=[LIKED_SONGS_KEY],  # liked songs first: they are what a short budget should go to
    metadata={"partition_expr": "user_id"},
)
def playlists(context: dg.AssetExecutionContext, warehouse: Warehouse, spotify: SpotifyResource) -> dg.MaterializeResult:
    """The playlists in the user's library: snapshot ids, owner, collaborative, item total, readable, managed."""
    user = context.partition_key
    now = now_of(spotify)
    before = spotify.requests_spent(user)
    budget = allowance(context, spotify, warehouse, user)
    try:
        objects = _list_playlists(spotify, user, budget)
    except OutOfBudget as stop:
        spent = requests_delta(before, spotify.requests_spent(user))
        return dg.MaterializeResult(metadata={**record_spend(warehouse, context, spent), "stopped": stop.why,
                                              "complete": False})
    tables = read_tables(warehouse, user, ["raw.playlists", "ops.managed_playlists", "raw.sync_cursors"])
    old = tables["raw.playlists"]
    read_at = dict(zip(old["playlist_id"], old["items_snapshot_id"]))
    managed, can_read_any = set(tables["ops.managed_playlists"]["playlist_id"]), _can_read_any(spotify)
    rows = []
    for position, obj in enumerate(objects):
        row = playlist_row(obj, position)
        why = unreadable_reason(playlist_listing(obj), user, can_read_any)
        rows.append({**row, "readable": why is None, "unreadable_reason": why, "managed": row["playlist_id"] in managed,
                     "items_snapshot_id": read_at.get(row["playlist_id"]), "fetched_at": now})
    frame = pl.DataFrame(rows, schema_overrides={"items_snapshot_id": pl.String, "unreadable_reason": pl.String},
                         infer_schema_length=None) if rows else old.drop("user_id").clear()
    warehouse.replace_partition("raw.playlists", user, frame)
    write_cursors(warehouse, user, PLAYLISTS, [Cursor(PLAYLISTS, total=len(rows), pages_done=pages(len(rows)),
                                                      pages_total=pages(len(rows)), complete=True, updated_at=now)],
                  cursors_of(tables["raw.sync_cursors"]))
    spent = requests_delta(before, spotify.requests_spent(user))
    old_snapshots = dict(zip(old["playlist_id"], old["snapshot_id"]))
    new_snapshots = {r["playlist_id"]: r["snapshot_id"] for r in rows}
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows),
        "new": len(set(new_snapshots) - set(old_snapshots)),
        "removed": len(set(old_snapshots) - set(new_snapshots)),
        "changed": sum(1 for p, s in new_snapshots.items() if p in old_snapshots and old_snapshots[p] != s),
        "unreadable": sum(1 for r in rows if not r["readable"]),
        "minimum_requests": max(1, pages(len(rows))),
        **record_spend(warehouse, context, spent),
    })


def _list_playlists(spotify: SpotifyResource, user: str, budget: int | None) -> list[dict]:
    objects: list[dict] = []
    offset, total, spent = 0, None, 0
    while total is None or offset < total:
        if budget is not None and spent >= budget:
            raise OutOfBudget()
        page = pausable(lambda: spotify.my_playlists_page(user, offset))
        spent += 1
        objects += page["items"]
        total, offset = page["total"], offset + PAGE
        if not page["items"]:
            break
    return objects


@dataclass
class ItemsRun:
    """What one playlist-items run read."""

    rows: dict[str, list[dict]] = field(default_factory=dict)         # completed playlist -> its rows
    partial: dict[str, tuple[ItemsRead, list[dict]]] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    objects: list[dict] = field(default_factory=list)
    stopped: str | None = None


@dg.asset(
    key=PLAYLIST_ITEMS_KEY,
    partitions_def=spotify_users,
    group_name="spotify",
    kinds=KINDS,
    pool="duckdb_write",
    freshness_policy=LIBRARY_FRESHNESS,  # refreshed per user by the TTL and change sensors
    deps=[PLAYLISTS_KEY],
    metadata={"partition_expr": "user_id"},
)
def playlist_items(context: dg.AssetExecutionContext, config: PlaylistItemsConfig, warehouse: Warehouse,
                   spotify: SpotifyResource) -> dg.MaterializeResult:
    """Every entry of the user's readable playlists, faithfully; re-read only where the snapshot changed."""
    user = context.partition_key
    now = now_of(spotify)
    tables = read_tables(warehouse, user, ["raw.playlists", "raw.playlist_items", "raw.playlist_items_staging",
                                           "raw.sync_cursors", "raw.track_objects"])
    listed = tables["raw.playlists"]
    listings = [playlist_listing({"id": r["playlist_id"], "snapshot_id": r["snapshot_id"], "owner": {"id": r["owner_id"]},
                                  "collaborative": r["collaborative"], "items": {"total": r["items_total"]}})
                for r in listed.iter_rows(named=True)]
    read_snapshots = {r["playlist_id"]: r["items_snapshot_id"] for r in listed.iter_rows(named=True) if r["items_snapshot_id"]}
    old_items = tables["raw.playlist_items"]
    read_snapshots.update({p: "" for p in set(old_items["playlist_id"]) - set(read_snapshots)})  # items held, snapshot unknown
    cursors = cursors_of(tables["raw.sync_cursors"])
    plan = plan_playlists(user, listings, read_snapshots, item_cursors(cursors), _can_read_any(spotify), config.force_reread)

    before = spotify.requests_spent(user)
    run = _read_items(spotify, user, plan.reads, tables["raw.playlist_items_staging"],
                      allowance(context, spotify, warehouse, user))
    counts = _save_items(warehouse, user, tables, plan, run, cursors, now, spotify.budget_per_day)
    save_track_objects(warehouse, user, run.objects, now, tables["raw.track_objects"])
    spent = requests_delta(before, spotify.requests_spent(user))
    if run.partial:
        context.log.info(f"playlist items of {user}: {len(run.partial)} playlists to finish; stopped: {run.stopped}")
    return dg.MaterializeResult(metadata={
        **counts,
        "playlists_read": len(run.rows),
        "playlists_unchanged": len(plan.unchanged),
        "playlists_unreadable": len(plan.unreadable) + len(run.unreadable),
        "playlists_restarted": len(plan.restarted),
        "minimum_requests": sum(r.requests for r in plan.reads),
        "library_progress": library_progress(warehouse, user, spotify.budget_per_day, now.date()),
        **record_spend(warehouse, context, spent),
        **({"stopped": run.stopped} if run.stopped else {}),
    })


def _staged(staging: pl.DataFrame, read: ItemsRead) -> list[dict]:
    """Rows already fetched for a read that resumes part-way."""
    if read.offset == 0:
        return []
    mine = staging.filter((pl.col("playlist_id") == read.playlist_id) & (pl.col("snapshot_id") == read.snapshot_id))
    return mine.sort("position").drop("user_id", "playlist_id", "snapshot_id").to_dicts()


def _read_items(spotify: SpotifyResource, user: str, reads: list[ItemsRead], staging: pl.DataFrame,
                budget: int | None) -> ItemsRun:
    run, spent = ItemsRun(), 0
    for read in reads:
        rows, offset, total = _staged(staging, read), read.offset, read.items_total
        try:
            while offset < total:
                if budget is not None and spent >= budget:
                    raise OutOfBudget()
                page = pausable(lambda: spotify.playlist_items_page(user, read.playlist_id, offset))
                spent += 1
                rows += [playlist_item_row(entry, offset + i) for i, entry in enumerate(page["items"])]
                run.objects += [track_object_row(item_of(entry)) for entry in page["items"]]
                total, offset = page["total"], offset + len(page["items"])
                if not page["items"]:
                    break
        except OutOfBudget as stop:
            run.partial[read.playlist_id] = (ItemsRead(read.playlist_id, read.snapshot_id, offset, total), rows)
            run.stopped = stop.why
            for later in reads[reads.index(read) + 1:]:
                run.partial[later.playlist_id] = (later, _staged(staging, later))
            break
        except (SpotifyForbidden, SpotifyNotFound) as refused:
            run.unreadable[read.playlist_id] = str(refused)
            continue
        run.rows[read.playlist_id] = rows
    return run


_ITEM_COLUMNS = ["position", "item_type", "track_id", "episode_id", "uri", "name", "added_at", "added_by",
                 "is_local", "local_name", "local_artist", "local_album", "duration_ms"]


def _frame(rows_by_playlist: dict[str, list[dict]], extra: dict[str, dict] | None = None) -> pl.DataFrame:
    rows = [{"playlist_id": pid, **(extra or {}).get(pid, {}), **row}
            for pid, rows in rows_by_playlist.items() for row in rows]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def _save_items(warehouse: Warehouse, user: str, tables: dict[str, pl.DataFrame], plan, run: ItemsRun, cursors,
                now, per_day: int | None) -> dict:
    """Replace the items of re-read playlists, drop those of gone or unreadable ones, keep partial pages."""
    listed, old_items, old_staging = tables["raw.playlists"], tables["raw.playlist_items"], tables["raw.playlist_items_staging"]
    readable_now = {r["playlist_id"] for r in listed.iter_rows(named=True) if r["readable"]} - set(run.unreadable)
    replaced = set(run.rows)
    kept = old_items.filter(pl.col("playlist_id").is_in(readable_now) & ~pl.col("playlist_id").is_in(replaced))
    fresh = _frame(run.rows)
    items = pl.concat([kept.drop("user_id"), fresh.select(kept.drop("user_id").columns).cast(kept.drop("user_id").schema)]) \
        if not fresh.is_empty() else kept.drop("user_id")
    if not same_rows(old_items.drop("user_id"), items):
        warehouse.replace_partition("raw.playlist_items", user, items)

    snapshots = {pid: read.snapshot_id for pid, (read, _) in run.partial.items()}
    staging = _frame({pid: rows for pid, (_, rows) in run.partial.items()},
                     {pid: {"snapshot_id": s} for pid, s in snapshots.items()})
    if not (staging.is_empty() and old_staging.is_empty()):
        warehouse.replace_partition("raw.playlist_items_staging", user,
                                    staging if not staging.is_empty() else old_staging.drop("user_id").clear())

    read_snapshot = {r.playlist_id: r.snapshot_id for r in plan.reads if r.playlist_id in replaced}
    playlists = listed.drop("user_id").with_columns(
        pl.col("playlist_id").replace_strict(read_snapshot, default=pl.col("items_snapshot_id"), return_dtype=pl.String)
        .alias("items_snapshot_id"),
        pl.when(pl.col("playlist_id").is_in(list(run.unreadable))).then(False).otherwise(pl.col("readable")).alias("readable"),
        pl.col("playlist_id").replace_strict(run.unreadable, default=pl.col("unreadable_reason"), return_dtype=pl.String)
        .alias("unreadable_reason"),
    )
    if not same_rows(listed.drop("user_id"), playlists):
        warehouse.replace_partition("raw.playlists", user, playlists)

    new_cursors = []
    for pid, (read, rows) in run.partial.items():
        progress = sync_progress(pages(read.offset), pages(read.items_total), per_day, now.date())
        new_cursors.append(Cursor(ITEMS, pid, read.snapshot_id, read.offset, read.items_total, pages_done=pages(read.offset),
                              pages_total=pages(read.items_total), complete=False, progress=progress.describe(),
                              updated_at=now))
    if new_cursors or any(c.source == ITEMS for c in cursors.values()):
        write_cursors(warehouse, user, ITEMS, new_cursors, cursors)
    identity = ["playlist_id", "position", "item_type", "uri", "added_at", "added_by"]
    before, after = set(old_items.select(identity).rows()), set(items.select(identity).rows())
    return {
        "dagster/row_count": items.height,
        "new": len(after - before),
        "removed": len(before - after),
        "changed_playlists": len(replaced),
        "playlists_partial": len(run.partial),
    }
