"""Top albums, derived from the user's top tracks without a request (`top_logic.top_albums`)."""

import dagster as dg
import polars as pl

from assets.automation import EAGER
from assets.listening.top_items import TOP_TRACKS_KEY
from assets.listening.top_logic import top_albums as rank_albums
from assets.partitions import spotify_users
from assets.tables import table_spec
from resources.warehouse import Warehouse, polars_schema

TABLE = "marts.top_albums"
KEY = dg.AssetKey(["listening", "top_albums"])


@dg.multi_asset(
    name="listening__top_albums",
    specs=[table_spec(KEY.path, TABLE, "Albums ranked from each day's top tracks per time range (singles left out; "
                      "rank-weighted, and by popularity where Spotify gives it).",
                      deps=[TOP_TRACKS_KEY], automation_condition=EAGER)],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def top_albums(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    user = context.partition_key
    tracks = warehouse.read("raw.top_tracks", user).drop("user_id")
    albums = rank_albums(tracks.to_dicts())
    count = warehouse.replace_partition(TABLE, user, pl.DataFrame(albums, schema=polars_schema(TABLE, user_id=False)))
    return dg.MaterializeResult(asset_key=KEY, metadata={"dagster/row_count": count})


defs = dg.Definitions(assets=[top_albums])
