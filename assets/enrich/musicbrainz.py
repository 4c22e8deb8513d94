"""MusicBrainz enrichment for tracks without an ISRC: recording, ISRC and genres, cached 30 days."""

import dagster as dg

from assets.automation import REFRESH_WHEN_STALE, ttl_policy
from assets.enrich.cache import DEFAULT_TTLS
from assets.enrich.refresh import CATALOG_TRACKS, EnrichConfig, read_catalog_and_cache, refresh_cache, track_key
from resources.musicbrainz import MusicbrainzResource
from resources.warehouse import Warehouse


def lookup_key(artist_key: str, track_key: str) -> str:
    return f"{artist_key}|{track_key}"


def tracks_without_isrc(tracks: list[dict]) -> dict[str, tuple[str, str]]:
    """lookup_key -> the (artist, title) to search with, for catalog tracks lacking an ISRC."""
    wanted: dict[str, tuple[str, str]] = {}
    for track in tracks:
        key = track_key(track)
        if key and not (track.get("isrc") or "").strip():
            wanted.setdefault(lookup_key(*key), (track["artist_names"][0], track["name"]))
    return wanted


def wanted_lookup_keys(tracks: list[dict]) -> list[str]:
    return list(tracks_without_isrc(tracks))


@dg.asset(
    key=["enrich", "musicbrainz_recordings"],
    deps=[CATALOG_TRACKS],
    group_name="enrichment",
    kinds={"musicbrainz", "duckdb"},
    pool="duckdb_write",
    freshness_policy=ttl_policy(DEFAULT_TTLS["musicbrainz"].hit),
    automation_condition=REFRESH_WHEN_STALE,
)
def musicbrainz_recordings(context: dg.AssetExecutionContext, config: EnrichConfig, warehouse: Warehouse,
                           musicbrainz: MusicbrainzResource) -> dg.MaterializeResult:
    """MusicBrainz recording, ISRC, length and genres for catalog tracks that have no ISRC."""
    client = musicbrainz.client()
    tracks, cache = read_catalog_and_cache(warehouse, "enrich.musicbrainz_recordings")
    names = tracks_without_isrc(tracks)

    def lookup(key: tuple[str]) -> dict | None:
        recording = client.find_recording(*names[key[0]])
        if recording is None:
            return None
        return {"isrc": recording.isrc, "recording_id": recording.recording_id, "title": recording.title,
                "artist": recording.artist, "length_ms": recording.length_ms, "genres": recording.genres}

    return refresh_cache(context, warehouse, "enrich.musicbrainz_recordings", cache, ["lookup_key"],
                         wanted=[(key,) for key in names], lookup=lookup, api=client.api, config=config, source="musicbrainz")
