"""Deezer enrichment: bpm, gain, rank and release date by ISRC, cached (hit 90 days, miss 5 minutes)."""

import dagster as dg

from assets.automation import REFRESH_WHEN_STALE, ttl_policy
from assets.enrich.cache import DEFAULT_TTLS
from assets.enrich.musicbrainz import musicbrainz_recordings, wanted_lookup_keys
from assets.enrich.refresh import CATALOG_SQL, CATALOG_TRACKS, EnrichConfig, read_queries, refresh_cache
from resources.deezer import DeezerResource, DeezerTrack
from resources.warehouse import Warehouse

# Deezer's tempo detector sometimes reports half or double the felt tempo. Outside this range a
# bpm is far more likely such an octave error than a real tempo: flag it, keep the raw value.
PLAUSIBLE_BPM = (60.0, 200.0)


def tempo_flag(bpm: float | None) -> str | None:
    """'half' or 'double' for a bpm that is probably an octave error, else None."""
    if bpm is None:
        return None
    low, high = PLAUSIBLE_BPM
    if bpm < low:
        return "half"
    if bpm > high:
        return "double"
    return None


def deezer_values(track: DeezerTrack | None) -> dict | None:
    """The cached columns of a Deezer answer; bpm 0 (Deezer's "unknown") becomes null."""
    if track is None:
        return None
    bpm = track.bpm_raw if track.bpm_raw else None
    return {"deezer_id": track.deezer_id, "bpm": bpm, "bpm_raw": track.bpm_raw, "bpm_flag": tempo_flag(bpm),
            "gain": track.gain, "rank": track.rank, "release_date": track.release_date}


FOUND_ISRCS_SQL = "select lookup_key, isrc from enrich.musicbrainz_recordings where status = 'hit' and isrc is not null"


def wanted_isrcs(tracks: list[dict], found: list[dict]) -> list[str]:
    """Catalog ISRCs, then the ISRCs MusicBrainz `found` for catalog tracks that had none."""
    isrcs = [t["isrc"].strip().upper() for t in tracks if t["isrc"] and t["isrc"].strip()]
    wanted_mb = set(wanted_lookup_keys(tracks))
    isrcs += [row["isrc"].upper() for row in found if row["lookup_key"] in wanted_mb]
    return list(dict.fromkeys(isrcs))


@dg.asset(
    key=["enrich", "deezer_tracks"],
    deps=[CATALOG_TRACKS, musicbrainz_recordings],
    group_name="enrichment",
    kinds={"deezer", "duckdb"},
    pool="duckdb_write",
    freshness_policy=ttl_policy(DEFAULT_TTLS["deezer"].hit),
    automation_condition=REFRESH_WHEN_STALE,
)
def deezer_tracks(context: dg.AssetExecutionContext, config: EnrichConfig, warehouse: Warehouse,
                  deezer: DeezerResource) -> dg.MaterializeResult:
    """Deezer bpm (null when unknown, octave errors flagged), gain, rank and release date per ISRC."""
    client = deezer.client()
    tracks, found, cache = read_queries(warehouse, CATALOG_SQL, FOUND_ISRCS_SQL, "select * from enrich.deezer_tracks")
    return refresh_cache(
        context, warehouse, "enrich.deezer_tracks", cache, ["isrc"],
        wanted=[(isrc,) for isrc in wanted_isrcs(tracks.to_dicts(), found.to_dicts())],
        lookup=lambda key: deezer_values(client.track_by_isrc(key[0])),
        api=client.api, config=config, source="deezer",
    )
