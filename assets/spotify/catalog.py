"""The catalog: tracks, albums and artists from the inline objects of liked songs and playlist items."""

import dagster as dg
import polars as pl

from assets.automation import LIBRARY_FRESHNESS
from assets.partitions import spotify_users
from assets.spend import record_spend
from assets.spotify.library import LIKED_OBJECTS, LIKED_OBJECTS_KEY
from assets.spotify.parse import artist_detail_row
from assets.spotify.playlist_items import PLAYLIST_OBJECTS, PLAYLIST_OBJECTS_KEY
from assets.spotify.state import read_tables, same_rows
from assets.spotify.sync_plan import pages
from assets.tables import table_spec
from resources.budget import OutOfBudget, pausable
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

TRACKS_KEY = dg.AssetKey(["spotify", "tracks"])
ALBUMS_KEY = dg.AssetKey(["spotify", "albums"])
ARTISTS_KEY = dg.AssetKey(["spotify", "artists"])
_SPEC = dict(deps=[LIKED_OBJECTS_KEY, PLAYLIST_OBJECTS_KEY], freshness_policy=LIBRARY_FRESHNESS, kinds={"spotify"})


_TABLES = {TRACKS_KEY: "raw.tracks", ALBUMS_KEY: "raw.albums", ARTISTS_KEY: "raw.artists"}


class CatalogConfig(dg.Config):
    artist_details: str = "auto"  # auto: batch artist lookups when the app has extended access; always | never


def track_objects(liked: pl.DataFrame, in_playlists: pl.DataFrame) -> pl.DataFrame:
    """The inline objects of every track the user has, the most recently seen version of each."""
    both = pl.concat([liked, in_playlists.select(liked.columns).cast(liked.schema)])
    return both.sort("seen_at", nulls_last=False).unique("track_id", keep="last").sort("track_id")


def tracks_of(objects: pl.DataFrame) -> pl.DataFrame:
    return objects.select("track_id", "uri", "name", "album_id", "artist_ids", "artist_names", "duration_ms", "explicit",
                          "isrc", "track_number", "disc_number", "is_playable", "popularity").sort("track_id")


def albums_of(objects: pl.DataFrame) -> pl.DataFrame:
    albums = objects.filter(pl.col("album_id").is_not_null()).sort("seen_at").unique("album_id", keep="last")
    return albums.select(
        "album_id", pl.col("album_name").alias("name"), "album_type",
        pl.col("album_release_date").alias("release_date"),
        pl.col("album_release_date_precision").alias("release_date_precision"),
        pl.col("album_release_date").str.slice(0, 4).cast(pl.Int32, strict=False).alias("release_year"),
        pl.col("album_label").alias("label"), pl.col("album_total_tracks").alias("total_tracks"),
        pl.col("album_artist_ids").alias("artist_ids"), pl.col("album_popularity").alias("popularity"),
    ).sort("album_id")


def artists_of(objects: pl.DataFrame, details: pl.DataFrame) -> pl.DataFrame:
    """Every artist named by a track or album, with the details (genres, popularity) fetched before."""
    pairs = pl.concat([
        objects.select(pl.col("artist_ids").alias("id"), pl.col("artist_names").alias("name")),
        objects.select(pl.col("album_artist_ids").alias("id"), pl.col("album_artist_names").alias("name")),
    ]).explode("id", "name").drop_nulls("id").unique("id", keep="first").rename({"id": "artist_id"})
    known = details.select("artist_id", "genres", "popularity", "followers")
    return pairs.join(known, on="artist_id", how="left").sort("artist_id")


def wants_artist_details(config: CatalogConfig, spotify: SpotifyResource, objects: pl.DataFrame) -> bool:
    """Extended access shows in the inline objects themselves (popularity), so telling costs no request."""
    if config.artist_details != "auto":
        return config.artist_details == "always"
    profile = spotify.ledger.cached_profile(spotify.app_client_id, 0, float("inf"))
    return profile == "extended" or objects["popularity"].drop_nulls().len() > 0


@dg.multi_asset(
    specs=[
        table_spec(TRACKS_KEY.path, "raw.tracks", "Catalog tracks of the user's library, from the inline track objects.",
                   **_SPEC),
        table_spec(ALBUMS_KEY.path, "raw.albums", "Albums of the catalog tracks, from the inline album objects.", **_SPEC),
        table_spec(ARTISTS_KEY.path, "raw.artists", "Artists of the catalog; genres and popularity with extended access.",
                   **_SPEC),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def catalog(context: dg.AssetExecutionContext, config: CatalogConfig, warehouse: Warehouse, spotify: SpotifyResource):
    """Tracks, albums and artists as dimension tables: no request in development mode."""
    user = context.partition_key
    tables = read_tables(warehouse, user, [LIKED_OBJECTS, PLAYLIST_OBJECTS, "raw.tracks", "raw.albums", "raw.artists"])
    objects = track_objects(tables[LIKED_OBJECTS], tables[PLAYLIST_OBJECTS])
    detail_columns = ["artist_id", "genres", "popularity", "followers"]
    details = tables["raw.artists"].filter(pl.col("genres").is_not_null()).select(detail_columns)
    built = {TRACKS_KEY: tracks_of(objects), ALBUMS_KEY: albums_of(objects)}
    artists, stopped, minimum = artists_of(objects, details), None, 0
    if wants_artist_details(config, spotify, objects):
        missing = artists.filter(pl.col("genres").is_null())["artist_id"].to_list()
        minimum = pages(len(missing))
        try:
            fetched = [artist_detail_row(a) for a in pausable(lambda: spotify.artists(user, missing)) if a] if missing else []
        except OutOfBudget as stop:
            fetched, stopped = [], stop.why
        if fetched:
            fresh = pl.DataFrame(fetched).select(detail_columns).cast(details.schema)
            artists = artists_of(objects, pl.concat([details, fresh]))
    built[ARTISTS_KEY] = artists
    spend = record_spend(context, spotify.ledger)
    for key, frame in built.items():
        table = _TABLES[key]
        old = tables[table].drop("user_id")
        if not same_rows(old, frame):
            warehouse.replace_partition(table, user, frame)
        id_column = frame.columns[0]
        yield dg.MaterializeResult(asset_key=key, metadata={
            "dagster/row_count": frame.height,
            "new": len(set(frame[id_column]) - set(old[id_column])),
            "removed": len(set(old[id_column]) - set(frame[id_column])),
            "changed": _changed(old, frame, id_column),
            **(spend if key == ARTISTS_KEY else {}),
            "minimum_requests": minimum if key == ARTISTS_KEY else 0,
            **({"stopped": stopped} if stopped and key == ARTISTS_KEY else {}),
        })


def _changed(old: pl.DataFrame, new: pl.DataFrame, id_column: str) -> int:
    """Rows whose values differ, among ids in both."""
    if old.is_empty() or new.is_empty():
        return 0
    shared = new.columns
    both = new.join(old.select(shared).cast(new.schema, strict=False), on=id_column, how="inner", suffix="__old")
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in shared if c != id_column])
    return both.filter(differs).height
