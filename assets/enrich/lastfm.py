"""Last.fm enrichment: track tags, listeners and playcount, and artist tags (used as genres), cached 7 days."""

import dagster as dg

from assets.automation import REFRESH_WHEN_STALE, ttl_policy
from assets.enrich.cache import DEFAULT_TTLS
from assets.enrich.refresh import CATALOG_TRACKS, EnrichConfig, read_catalog_and_cache, refresh_cache, track_key
from assets.normalise import normalise
from resources.lastfm import LastfmResource
from resources.warehouse import Warehouse

FRESHNESS = ttl_policy(DEFAULT_TTLS["lastfm"].hit)


def distinct_tracks(tracks: list[dict]) -> dict[tuple[str, str], tuple[str, str]]:
    """(artist_key, track_key) -> the (artist, title) to ask with, once per normalised pair."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for track in tracks:
        key = track_key(track)
        if key and key not in wanted:
            wanted[key] = (track["artist_names"][0], track["name"])
    return wanted


def distinct_artists(tracks: list[dict]) -> dict[str, str]:
    """artist_key -> the name to ask with, once per normalised name of any credited artist."""
    wanted: dict[str, str] = {}
    for track in tracks:
        for name in track.get("artist_names") or []:
            key = normalise(name)
            if key and key not in wanted:
                wanted[key] = name
    return wanted


@dg.asset(
    key=["enrich", "lastfm_tracks"],
    deps=[CATALOG_TRACKS],
    group_name="enrichment",
    kinds={"lastfm", "duckdb"},
    pool="duckdb_write",
    freshness_policy=FRESHNESS,
    automation_condition=REFRESH_WHEN_STALE,
)
def lastfm_tracks(context: dg.AssetExecutionContext, config: EnrichConfig, warehouse: Warehouse,
                  lastfm: LastfmResource) -> dg.MaterializeResult:
    """Last.fm tags, listeners and playcount per normalised artist + title (one track.getInfo each)."""
    client = lastfm.client()
    tracks, cache = read_catalog_and_cache(warehouse, "enrich.lastfm_tracks")
    names = distinct_tracks(tracks)

    def lookup(key: tuple[str, str]) -> dict | None:
        info = client.track_info(*names[key])
        if info is None:
            return None
        return {"artist": info.artist, "track": info.track, "listeners": info.listeners,
                "playcount": info.playcount, "tags": info.tags}

    return refresh_cache(context, warehouse, "enrich.lastfm_tracks", cache, ["artist_key", "track_key"],
                         wanted=list(names), lookup=lookup, api=client.api, config=config, source="lastfm")


@dg.asset(
    key=["enrich", "lastfm_artists"],
    deps=[CATALOG_TRACKS],
    group_name="enrichment",
    kinds={"lastfm", "duckdb"},
    pool="duckdb_write",
    freshness_policy=FRESHNESS,
    automation_condition=REFRESH_WHEN_STALE,
)
def lastfm_artists(context: dg.AssetExecutionContext, config: EnrichConfig, warehouse: Warehouse,
                   lastfm: LastfmResource) -> dg.MaterializeResult:
    """Last.fm tags (the artist's genres), listeners and playcount per distinct artist (one artist.getInfo each)."""
    client = lastfm.client()
    tracks, cache = read_catalog_and_cache(warehouse, "enrich.lastfm_artists")
    names = distinct_artists(tracks)

    def lookup(key: tuple[str]) -> dict | None:
        info = client.artist_info(names[key[0]])
        if info is None:
            return None
        return {"artist": info.artist, "listeners": info.listeners, "playcount": info.playcount, "tags": info.tags}

    return refresh_cache(context, warehouse, "enrich.lastfm_artists", cache, ["artist_key"],
                         wanted=[(key,) for key in names], lookup=lookup, api=client.api, config=config, source="lastfm")
