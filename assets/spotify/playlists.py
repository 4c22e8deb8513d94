"""Playlists: one listing of /me/playlists gives every playlist's snapshot id; a run resuming an items
read that was killed reads on from the recent listing that read started from (`reuse_listing`)."""

from collections.abc import Iterator
from datetime import datetime

import dagster as dg
import polars as pl

from assets.automation import LIBRARY_FRESHNESS
from assets.partitions import spotify_users
from assets.spend import record_spend
from assets.spotify.budget import allowance
from assets.spotify.library import LIKED_OBJECTS, LIKED_SONGS_KEY
from assets.spotify.parse import playlist_listing, playlist_row
from assets.spotify.state import (
    ITEMS, PLAYLISTS, Cursor, cursors_of, playlists_behind, read_tables, sync_table, write_cursors,
)
from assets.spotify.sync_plan import PAGE, pages, reuse_listing, unreadable_reason
from assets.tables import table_spec
from resources.budget import OutOfBudget, pausable
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

PLAYLISTS_KEY = dg.AssetKey(["spotify", "playlists"])
PLAYLISTS_SYNC_KEY = dg.AssetKey(["spotify", "playlists_sync"])


def can_read_any(spotify: SpotifyResource, warehouse: Warehouse, user: str) -> bool:
    """Extended access reads any playlist's items; never probed here. Known from an earlier probe, or, before
    any (the probe comes with the catalog, after the items), from the liked songs read just before: only
    extended access leaves popularity in their inline objects. Else a first sync would skip followed
    playlists that the next one reads, and the rules would see two libraries."""
    if spotify.ledger.cached_profile(spotify.app_client_id, 0, float("inf")) == "extended":
        return True
    liked = read_tables(warehouse, user, [LIKED_OBJECTS])[LIKED_OBJECTS]
    return liked["popularity"].drop_nulls().len() > 0


@dg.multi_asset(
    specs=[
        table_spec(PLAYLISTS_KEY.path, "raw.playlists", "The playlists in the user's library: snapshot ids, owner, "
                   "collaborative, item total, readable.", kinds={"spotify"}, freshness_policy=LIBRARY_FRESHNESS,
                   # liked songs first: they are what a short budget should go to
                   deps=[LIKED_SONGS_KEY]),
        table_spec(PLAYLISTS_SYNC_KEY.path, sync_table(PLAYLISTS), "Whether the user's playlist listing last "
                   "completed, and its size in pages.", kinds={"spotify"}),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def playlists(context: dg.AssetExecutionContext, warehouse: Warehouse,
              spotify: SpotifyResource) -> Iterator[dg.MaterializeResult]:
    """One listing of /me/playlists; which playlists the user can read follows from owner and collaborators."""
    user = context.partition_key
    now = spotify.time_source.now()
    listed_at = _resumable_listing(warehouse, user, now)
    if listed_at is not None:
        context.log.info(f"playlists of {user}: an items read killed part-way resumes from the listing of {listed_at}")
        yield dg.MaterializeResult(asset_key=PLAYLISTS_KEY, metadata={
            "reused_listing_of": listed_at.isoformat(), "minimum_requests": 0, **record_spend(context, spotify.ledger)})
        yield dg.MaterializeResult(asset_key=PLAYLISTS_SYNC_KEY, metadata={"dagster/row_count": 1})
        return
    budget = allowance(context, spotify, warehouse, user)
    try:
        objects = _list_playlists(spotify, user, budget)
    except OutOfBudget as stop:
        yield dg.MaterializeResult(asset_key=PLAYLISTS_KEY, metadata={
            **record_spend(context, spotify.ledger), "stopped": stop.why, "complete": False})
        return
    old = read_tables(warehouse, user, ["raw.playlists"])["raw.playlists"]
    any_readable = can_read_any(spotify, warehouse, user)
    rows = []
    for position, obj in enumerate(objects):
        why = unreadable_reason(playlist_listing(obj), user, any_readable)
        rows.append({**playlist_row(obj, position), "readable": why is None, "unreadable_reason": why, "fetched_at": now})
    frame = pl.DataFrame(rows, schema_overrides={"unreadable_reason": pl.String},
                         infer_schema_length=None) if rows else old.drop("user_id").clear()
    warehouse.replace_partition("raw.playlists", user, frame)
    listing = Cursor(PLAYLISTS, total=len(rows), pages_done=pages(len(rows)), pages_total=pages(len(rows)),
                     complete=True, updated_at=now)
    write_cursors(warehouse, user, PLAYLISTS, [listing])
    old_snapshots = dict(zip(old["playlist_id"], old["snapshot_id"]))
    new_snapshots = {r["playlist_id"]: r["snapshot_id"] for r in rows}
    yield dg.MaterializeResult(asset_key=PLAYLISTS_KEY, metadata={
        "dagster/row_count": len(rows),
        "new": len(set(new_snapshots) - set(old_snapshots)),
        "removed": len(set(old_snapshots) - set(new_snapshots)),
        "changed": sum(1 for p, s in new_snapshots.items() if p in old_snapshots and old_snapshots[p] != s),
        "unreadable": sum(1 for r in rows if not r["readable"]),
        "minimum_requests": max(1, pages(len(rows))),
        **record_spend(context, spotify.ledger),
    })
    yield dg.MaterializeResult(asset_key=PLAYLISTS_SYNC_KEY, metadata={"dagster/row_count": 1})


def _resumable_listing(warehouse: Warehouse, user: str, now) -> datetime | None:
    """When the stored listing, if an items read killed part-way is to resume from it."""
    tables = read_tables(warehouse, user, [sync_table(PLAYLISTS), sync_table(ITEMS)])
    listing = cursors_of(tables[sync_table(PLAYLISTS)]).get((PLAYLISTS, ""))
    listed_at = listing.updated_at if listing is not None and listing.complete else None
    if listed_at is None:
        return None
    items_saved_at = tables[sync_table(ITEMS)]["updated_at"].max()
    return listed_at if reuse_listing(listed_at, items_saved_at, playlists_behind(warehouse, user), now) else None


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


