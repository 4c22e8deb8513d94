"""Sync state in the warehouse: cursors, held liked songs, staged playlist pages, inline track objects.

Each asset keeps its own sync state: `raw.<source>_sync` for the cursors of `liked_songs`, `playlists`
and `playlist_items`, written only by that asset.

Thin reads and writes between the warehouse and the plain data of `sync_plan`; no decisions here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime

import polars as pl

from assets.spotify.sync_plan import ItemsCursor, LikedRow, Saved, pages, sync_progress
from resources.warehouse import Warehouse, polars_schema

LIKED = "liked_songs"
ITEMS = "playlist_items"
PLAYLISTS = "playlists"


def read_tables(warehouse: Warehouse, user: str, tables: list[str]) -> dict[str, pl.DataFrame]:
    """Several of the user's tables over one connection (opening one is the slow part)."""
    with warehouse.connect() as con:
        return {t: con.sql(f"select * from {t} where user_id = ?", params=[user]).pl() for t in tables}


def same_rows(old: pl.DataFrame, new: pl.DataFrame) -> bool:
    """Whether a write would change nothing (then it is skipped: warm runs stay cheap)."""
    if old.height != new.height or set(old.columns) != set(new.columns):
        return False
    new = new.select(old.columns).cast(old.schema, strict=False)
    return old.sort(old.columns).equals(new.sort(old.columns))


# -- cursors -------------------------------------------------------------------------------------


@dataclass
class Cursor:
    """One row of a sync table (`raw.liked_songs_sync`, `raw.playlists_sync`, `raw.playlist_items_sync`)."""

    source: str
    key: str = ""
    snapshot_id: str | None = None
    next_offset: int | None = None
    total: int | None = None
    anchor_track_id: str | None = None
    anchor_added_at: datetime | None = None
    pages_done: int | None = None
    pages_total: int | None = None
    complete: bool = False
    last_full_sync_at: datetime | None = None
    progress: str | None = None
    updated_at: datetime | None = None
    refused: str | None = None  # playlist_items only: Spotify refused the read at `snapshot_id`


def cursors_of(frame: pl.DataFrame) -> dict[tuple[str, str], Cursor]:
    names = {f.name for f in fields(Cursor)}
    return {(r["source"], r["key"]): Cursor(**{k: v for k, v in r.items() if k in names}) for r in frame.to_dicts()}


def sync_table(source: str) -> str:
    return f"raw.{source}_sync"


def read_cursors(warehouse: Warehouse, user: str) -> dict[tuple[str, str], Cursor]:
    """The user's cursors of every source."""
    tables = read_tables(warehouse, user, [sync_table(s) for s in (LIKED, PLAYLISTS, ITEMS)])
    return {key: cursor for frame in tables.values() for key, cursor in cursors_of(frame).items()}


def write_cursors(warehouse: Warehouse, user: str, source: str, cursors: list[Cursor]) -> None:
    """Make `cursors` the user's cursors of one source (its asset's own sync table)."""
    rows = [asdict(c) for c in cursors]
    frame = pl.DataFrame(rows, schema=polars_schema(sync_table(source), user_id=False))  # only ITEMS has `refused`
    warehouse.replace_partition(sync_table(source), user, frame)


# -- liked songs -----------------------------------------------------------------------------------


def history_of(frame: pl.DataFrame) -> list[LikedRow]:
    names = {f.name for f in fields(LikedRow)}
    return [LikedRow(**{k: v for k, v in r.items() if k in names}) for r in frame.to_dicts()]


def write_history(warehouse: Warehouse, user: str, rows: list[LikedRow]) -> int:
    schema = polars_schema("raw.liked_songs", user_id=False)
    return warehouse.replace_partition("raw.liked_songs", user, pl.DataFrame([asdict(r) for r in rows], schema=schema))


def held_prefix_of(frame: pl.DataFrame) -> list[Saved]:
    """The top of Liked Songs kept by an unfinished sync."""
    return [Saved(r["track_id"], r["added_at"]) for r in frame.sort("position").iter_rows(named=True)]


def write_held_prefix(warehouse: Warehouse, user: str, prefix: list[Saved]) -> None:
    warehouse.replace_partition("raw.liked_songs_held", user, pl.DataFrame(
        {"position": list(range(len(prefix))), "track_id": [s.track_id for s in prefix],
         "added_at": [s.added_at for s in prefix]},
        schema=polars_schema("raw.liked_songs_held", user_id=False)))


# -- inline track objects --------------------------------------------------------------------------


def save_track_objects(warehouse: Warehouse, table: str, user: str, rows: list[dict], seen_at: datetime,
                       old: pl.DataFrame) -> int:
    """Add the track objects seen in this run to the user's (`old`, as read from `table`), the newest
    version of each track winning (also over the versions a killed run appended page by page)."""
    rows = [r for r in rows if r]
    old = old.drop("user_id")
    if not rows and old["track_id"].n_unique() == old.height:
        return 0
    fresh = pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.lit(seen_at).alias("seen_at")) \
        if rows else old.clear()
    merged = pl.concat([old, fresh.select(old.columns).cast(old.schema)], how="vertical")
    merged = merged.sort("seen_at", nulls_last=False, maintain_order=True).unique(
        subset="track_id", keep="last", maintain_order=True)
    warehouse.replace_partition(table, user, merged)
    return fresh.select("track_id").n_unique()


# -- playlist items ------------------------------------------------------------------------------


def staged_cursors(staging: pl.DataFrame) -> dict[str, ItemsCursor]:
    """Where each unfinished read stands: the pages it staged (kept in order, one snapshot per playlist)."""
    counts = staging.group_by("playlist_id", "snapshot_id").agg(pl.len().alias("rows"))
    return {r["playlist_id"]: ItemsCursor(r["playlist_id"], r["snapshot_id"], r["rows"]) for r in counts.iter_rows(named=True)}


def playlists_behind(warehouse: Warehouse, user: str) -> int:
    """Readable playlists whose items are not held at their listed snapshot."""
    return warehouse.query(
        "select count(*) from playlists where user_id = ? and readable "
        "and items_snapshot_id is distinct from snapshot_id", [user]).item()


def library_complete(warehouse: Warehouse, user: str) -> bool:
    """Whether the user's whole library has been read: all liked songs, the playlist listing and the
    items of every readable playlist at its current snapshot.

    The push and automation call this: a half-synced library never shrinks a playlist.
    """
    cursors = read_cursors(warehouse, user)
    liked, listing = cursors.get((LIKED, "")), cursors.get((PLAYLISTS, ""))
    if liked is None or not liked.complete or listing is None or not listing.complete:
        return False
    return playlists_behind(warehouse, user) == 0


def library_progress(warehouse: Warehouse, user: str, per_day: int | None, today) -> str:
    """The user's whole sync as "N of M pages fetched, expected done by DATE at the current budget"."""
    cursors = read_cursors(warehouse, user)
    liked = cursors.get((LIKED, ""))
    if liked is None:
        return "not synced yet"
    done, total = liked.pages_done or 0, liked.pages_total or 0
    partial = {c.key: c for c in cursors.values() if c.source == ITEMS and not c.complete}
    behind = warehouse.query(
        "select playlist_id, items_total from playlists where user_id = ? and readable "
        "and items_snapshot_id is distinct from snapshot_id", [user]).rows()
    for playlist_id, items_total in behind:
        cursor = partial.get(playlist_id)
        done += (cursor.pages_done or 0) if cursor else 0
        total += pages(items_total or 0)
    return sync_progress(done, total, per_day, today).describe()
