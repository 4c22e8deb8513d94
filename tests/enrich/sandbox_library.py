"""A small hand-built library with every enrichment oddity, its catalog rows, and enrichment runs
whose pacing and backoff run on the sandbox's movable clock (no real waiting, same rate judgement)."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.enrichment import ENRICH_ASSETS
from resources.deezer import DeezerResource
from resources.http import Timing, with_timing
from resources.lastfm import LastfmResource
from resources.musicbrainz import MusicbrainzResource
from sandbox.library import Library
from resources.warehouse import Warehouse

BEATLES, DAFT, NOBODY, GUEST = "art1", "art2", "art3", "art4"

LIBRARY = {
    "users": [{"id": "alice"}, {"id": "bob"}],
    "artists": [{"id": BEATLES, "name": "The Beatles"}, {"id": DAFT, "name": "Daft Punk"},
                {"id": NOBODY, "name": "Nobody Known"}, {"id": GUEST, "name": "Pharrell Williams"}],
    "albums": [{"id": "alb1", "name": "Abbey Road", "release_date": "1969-09-26", "artist_ids": [BEATLES]},
               {"id": "alb2", "name": "Discovery", "release_date": "2001-03-12", "artist_ids": [DAFT]},
               {"id": "alb3", "name": "Tapes", "release_date": "2024", "artist_ids": [NOBODY]}],
    "tracks": [
        {"id": "t1", "name": "Come Together - Remastered 2009", "album_id": "alb1", "artist_ids": [BEATLES],
         "duration_ms": 259946, "isrc": "GBAYE0601690"},
        {"id": "t2", "name": "Something", "album_id": "alb1", "artist_ids": [BEATLES], "duration_ms": 182000,
         "isrc": "GBAYE0601691"},
        {"id": "t3", "name": "One More Time", "album_id": "alb2", "artist_ids": [DAFT], "duration_ms": 320000,
         "isrc": "GBDUW0000053"},
        {"id": "t4", "name": "Get Lucky (feat. Pharrell Williams)", "album_id": "alb2", "artist_ids": [DAFT, GUEST],
         "duration_ms": 369000, "isrc": "USQX91300108"},
        {"id": "t5", "name": "Home Demo", "album_id": "alb3", "artist_ids": [NOBODY], "duration_ms": 128000},
        {"id": "t6", "name": "Lost Song", "album_id": "alb3", "artist_ids": [NOBODY], "duration_ms": 140000},
        {"id": "t7", "name": "Come Together", "album_id": "alb1", "artist_ids": [BEATLES], "duration_ms": 259000,
         "isrc": "GBAYE0601690"},
    ],
    "enrichment": {
        "deezer": [
            {"isrc": "GBAYE0601690", "id": 116348128, "bpm": 82.5, "gain": -9.1, "rank": 780000, "release_date": "1969-09-26"},
            {"isrc": "GBAYE0601691", "id": 116348130, "bpm": 0, "gain": -11.0, "rank": 500000, "release_date": "1969-09-26"},
            {"isrc": "GBDUW0000053", "id": 3135553, "bpm": 246.0, "gain": -6.2, "rank": 900000, "release_date": "2001-03-12"},
            {"isrc": "GBXXX2400001", "id": 99, "bpm": 101.0, "gain": -8.0, "rank": 1200, "release_date": "2024-01-01"},
        ],
        "lastfm_tracks": [
            {"artist": "The Beatles", "track": "Come Together", "listeners": 1500000, "playcount": 12000000,
             "tags": ["classic rock", "60s"], "corrections": ["Come Together - Remastered 2009"]},
            {"artist": "The Beatles", "track": "Something", "listeners": 900000, "playcount": 5000000, "tags": ["ballad"]},
            {"artist": "Daft Punk", "track": "One More Time", "listeners": 2000000, "playcount": 20000000,
             "tags": ["house", "french touch", "electronic"]},
            {"artist": "Daft Punk", "track": "Get Lucky", "listeners": 3000000, "playcount": 30000000, "tags": [],
             "corrections": ["Get Lucky (feat. Pharrell Williams)"]},
        ],
        "lastfm_artists": [
            {"artist": "The Beatles", "listeners": 5000000, "playcount": 600000000, "tags": ["classic rock", "british"]},
            {"artist": "Daft Punk", "listeners": 4000000, "playcount": 400000000, "tags": ["electronic"]},
            {"artist": "Pharrell Williams", "listeners": 3000000, "playcount": 100000000, "tags": ["hip-hop", "pop"]},
        ],
        "musicbrainz": [
            {"isrc": "GBXXX2400001", "recording_id": "5b4b2ad9-6e4b-4f1c-9a8f-6b4f4b0f7c1e", "title": "Home Demo",
             "artist": "Nobody Known", "length_ms": 128500, "genres": ["lo-fi", "indie"]},
            {"isrc": "GBAYE0601690", "recording_id": "0e2b5f6a-0000-4000-8000-000000000001", "title": "Come Together",
             "artist": "The Beatles", "length_ms": 259946, "genres": ["rock"]},
        ],
    },
}

# What a first run must ask for, derived from the library above by hand:
DISTINCT_ISRCS = 5  # 4 catalog ISRCs (t1 and t7 share one) + the one MusicBrainz finds for t5
DISTINCT_TRACKS = 6  # t7 is t1 once normalised
DISTINCT_ARTISTS = 4
TRACKS_WITHOUT_ISRC = 2


def library() -> Library:
    return Library.model_validate(LIBRARY)


def catalog_rows(user_tracks: list[str]) -> pl.DataFrame:
    names = {a["id"]: a["name"] for a in LIBRARY["artists"]}
    rows = [{"track_id": t["id"], "name": t["name"], "album_id": t["album_id"], "artist_ids": t["artist_ids"],
             "artist_names": [names[a] for a in t["artist_ids"]], "duration_ms": t["duration_ms"], "isrc": t.get("isrc")}
            for t in LIBRARY["tracks"] if t["id"] in user_tracks]
    return pl.DataFrame(rows, schema_overrides={"isrc": pl.String})


def sandbox_timing(running) -> Timing:
    """Pacing and backoff on the sandbox clock: waiting moves the clock instead of sleeping."""
    return Timing(clock=running.world.clock.now, sleep=running.world.clock.advance)


def enrich_resources(running, warehouse: Warehouse, **overrides) -> dict:
    timing = sandbox_timing(running)
    urls = running.base_urls
    return {
        "warehouse": warehouse,
        "deezer": with_timing(DeezerResource(base_url=urls["DEEZER_API_BASE"], data_dir=warehouse.data_dir, **overrides), timing),
        "lastfm": with_timing(LastfmResource(base_url=urls["LASTFM_API_BASE"], data_dir=warehouse.data_dir, **overrides), timing),
        "musicbrainz": with_timing(MusicbrainzResource(base_url=urls["MUSICBRAINZ_API_BASE"], data_dir=warehouse.data_dir,
                                                       **overrides), timing),
    }


def sandbox_now(running) -> datetime:
    return datetime.fromtimestamp(running.world.clock.now(), UTC).replace(tzinfo=None)


def run_config(as_of: datetime) -> dict:
    return {"ops": {asset.op.name: {"config": {"as_of": as_of.isoformat()}} for asset in ENRICH_ASSETS}}


def materialize(running, warehouse: Warehouse, resources: dict | None = None, as_of: datetime | None = None,
                selection: list[dg.AssetKey] | None = None) -> dg.ExecuteInProcessResult:
    """One enrichment run against the sandbox (of the `selection` only, when given), judged at the
    sandbox's time unless `as_of` says."""
    return dg.materialize(ENRICH_ASSETS, resources=resources or enrich_resources(running, warehouse),
                          run_config=run_config(as_of or sandbox_now(running)), selection=selection)


def metadata(result: dg.ExecuteInProcessResult, table: str) -> dict:
    """The materialization metadata of `enrichment/<table>`, as plain values."""
    for event in result.get_asset_materialization_events():
        if event.asset_key == dg.AssetKey(["enrichment", table]):
            return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    raise KeyError(table)
