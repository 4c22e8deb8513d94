"""Top tracks and top artists per user and time range, read at most once a day: a range read within
`TOP_ITEMS_TTL` is not read again (no request), an older one is read whole, in pages of 50, and its
rows become that day's ranking beside the days before."""

import dagster as dg
import polars as pl

from assets.automation import TOP_ITEMS_FRESHNESS, TOP_ITEMS_TTL
from assets.listening.top_logic import artist_rows, due_ranges, track_rows, with_history
from assets.partitions import spotify_users
from assets.spotify.catalog import TRACKS_KEY
from assets.spend import record_spend
from assets.tables import table_spec
from resources.budget import OutOfBudget, pausable
from resources.spotify import TOP_PAGE
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse, polars_schema

ROWS = {"tracks": track_rows, "artists": artist_rows}


def last_reads(rows: pl.DataFrame) -> dict:
    """When each time range was last read, from the user's stored rows."""
    latest = rows.group_by("time_range").agg(pl.col("read_at").max())
    return dict(zip(latest["time_range"], latest["read_at"]))


def top_items_asset(kind: str) -> dg.AssetsDefinition:
    """The asset of the user's top `kind` ("tracks" or "artists")."""
    table = f"raw.top_{kind}"
    key = dg.AssetKey(["listening", f"top_{kind}"])

    @dg.multi_asset(
        name=f"listening__top_{kind}",
        specs=[table_spec(key.path, table, f"The user's top {kind} per time range (short, medium, long term), "
                          "ranked, one ranking per day read: read again when older than 24 hours.",
                          kinds={"spotify"}, freshness_policy=TOP_ITEMS_FRESHNESS,
                          # after the library sync: the library is what a short budget should go to
                          deps=[TRACKS_KEY])],
        partitions_def=spotify_users,
        pool="duckdb_write",
    )
    def top_items(context: dg.AssetExecutionContext, warehouse: Warehouse,
                  spotify: SpotifyResource) -> dg.MaterializeResult:
        user = context.partition_key
        now = spotify.time_source.now()
        old = warehouse.read(table, user).drop("user_id")
        due = due_ranges(last_reads(old), now, TOP_ITEMS_TTL)
        read, new, stopped, minimum = [], [], None, 0
        try:
            for time_range in due:
                items = pausable(lambda r=time_range: spotify.top_items(user, kind, r))
                new += ROWS[kind](items, time_range, now)
                read.append(time_range)
                minimum += max(1, -(-len(items) // TOP_PAGE))  # pages of 50; an empty list still asks once
        except OutOfBudget as stop:
            stopped = stop.why
        if read:
            rows = with_history(old.to_dicts(), new, read, now.date())
            warehouse.replace_partition(table, user, pl.DataFrame(rows, schema=polars_schema(table, user_id=False)))
        context.log.info(f"top {kind} of {user}: read {', '.join(read) or 'nothing'}"
                         + (f"; stopped: {stopped}" if stopped else ""))
        return dg.MaterializeResult(asset_key=key, metadata={
            "read_ranges": read,
            "fresh_ranges": [r for r in last_reads(old) if r not in due],
            "rows_read": len(new),
            "minimum_requests": minimum,
            **record_spend(context, spotify.ledger),
            **({"stopped": stopped} if stopped else {}),
        })

    return top_items


top_tracks = top_items_asset("tracks")
top_artists = top_items_asset("artists")
TOP_TRACKS_KEY = top_tracks.key

defs = dg.Definitions(assets=[top_tracks, top_artists])
