"""Checks on the ingested tables, over every user: unique keys, no dangling track ids, ids only where due."""

import dagster as dg

from assets.spotify.catalog import TRACKS_KEY
from assets.spotify.library import LIKED_SONGS_KEY
from assets.spotify.playlist_items import PLAYLIST_ITEMS_KEY
from assets.spotify.playlists import PLAYLISTS_KEY
from resources.warehouse import Warehouse


def _offenders(warehouse: Warehouse, sql: str) -> dg.AssetCheckResult:
    rows = warehouse.query(sql)
    return dg.AssetCheckResult(passed=rows.is_empty(), metadata={
        "offending_rows": rows.height, "sample": dg.MetadataValue.md(str(rows.head(5)))})


def _duplicates(table: str, key: str) -> str:
    return f"select user_id, {key}, count(*) as n from {table} group by all having count(*) > 1"


@dg.asset_check(asset=LIKED_SONGS_KEY, pool="duckdb_write", description="One row per user and track.")
def liked_songs_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _offenders(warehouse, _duplicates("raw.liked_songs", "track_id"))


@dg.asset_check(asset=PLAYLISTS_KEY, pool="duckdb_write", description="One row per user and playlist.")
def playlists_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _offenders(warehouse, _duplicates("raw.playlists", "playlist_id"))


@dg.asset_check(asset=PLAYLIST_ITEMS_KEY, pool="duckdb_write", description="One row per user, playlist and position.")
def playlist_items_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _offenders(warehouse, _duplicates("raw.playlist_items", "playlist_id, position"))


@dg.asset_check(asset=PLAYLIST_ITEMS_KEY, pool="duckdb_write",
                description="Ids are null only for local files and gone items.")
def playlist_items_ids_present(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _offenders(warehouse, """
        select user_id, playlist_id, position, item_type from raw.playlist_items
        where (item_type = 'track' and (track_id is null or uri is null))
           or (item_type = 'episode' and (episode_id is null or uri is null))
           or item_type not in ('track', 'episode', 'local', 'unavailable')""")


@dg.asset_check(asset=TRACKS_KEY, pool="duckdb_write",
                description="Every track a liked song or playlist item points at is in the catalog.")
def tracks_cover_the_library(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _offenders(warehouse, """
        select user_id, track_id from (
            select user_id, track_id from raw.liked_songs
            union select user_id, track_id from raw.playlist_items where track_id is not null
            union select user_id, track_id from raw.liked_songs_held
        ) referenced
        anti join raw.tracks using (user_id, track_id)""")


@dg.asset_check(asset=TRACKS_KEY, pool="duckdb_write", description="One row per user and track.")
def tracks_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _offenders(warehouse, _duplicates("raw.tracks", "track_id"))


SPOTIFY_CHECKS = [liked_songs_unique, playlists_unique, playlist_items_unique, playlist_items_ids_present,
                  tracks_cover_the_library, tracks_unique]
