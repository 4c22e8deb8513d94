"""Enrichment cost: calls per service and time under the real rate limits, first and second run.

    python -m benchmarks.bench_enrich [--quick]

For 100, 1,000 and 10,000 tracks (--quick: 100 and 1,000) of a generated library, the enrichment
assets run twice against the sandbox. The clients pace themselves at their real budgets (Deezer 45
per 5 s, Last.fm 4 per s, MusicBrainz 1 per 1.1 s); waiting is simulated by moving the sandbox
clock, which the sandbox also judges rates by, so "violations" is a real check. Printed per run:
requests per service, simulated waiting, real compute time, and their sum as the wall time a real
run would take (the assets share one DuckDB writer pool, so services run one after another).
Beside them, the baseline this design replaced, scaled linearly: a naive enrichment of 100 tracks
made ~320 calls and took ~16 s the first time and ~30 calls the second (MusicBrainz never cached).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.enrichment import ENRICH_ASSETS
from assets.enrichment.sources import SOURCES
from resources.deezer import DeezerResource
from resources.http import Timing, with_timing
from resources.lastfm import LastfmResource
from resources.musicbrainz import MusicbrainzResource
from sandbox import start_sandbox
from sandbox.generator import generate_library
from resources.warehouse import Warehouse

SIZES, QUICK_SIZES = [100, 1_000, 10_000], [100, 1_000]
SERVICES = ["deezer", "lastfm", "musicbrainz"]
BASELINE = {"first_calls": 320, "first_s": 16.0, "second_calls": 30, "tracks": 100}
SERVICE_OF_ASSET = {source.key: source.service for source in SOURCES}


def catalog(library, tracks: int) -> pl.DataFrame:
    """raw.tracks rows for the first `tracks` liked songs of the library's first user."""
    names = {a.id: a.name for a in library.artists}
    by_id = {t.id: t for t in library.tracks}
    user = library.users[0].id
    liked = [by_id[s.track_id] for s in library.liked[user][:tracks]]
    return pl.DataFrame([{"track_id": t.id, "name": t.name, "album_id": t.album_id, "artist_ids": t.artist_ids,
                          "artist_names": [names[a] for a in t.artist_ids], "duration_ms": t.duration_ms, "isrc": t.isrc}
                         for t in liked], schema_overrides={"isrc": pl.String})


def resources(running, warehouse: Warehouse) -> dict:
    timing = Timing(clock=running.world.clock.now, sleep=running.world.clock.advance)
    urls = running.base_urls
    return {
        "warehouse": warehouse,
        "deezer": with_timing(DeezerResource(base_url=urls["DEEZER_API_BASE"], data_dir=warehouse.data_dir), timing),
        "lastfm": with_timing(LastfmResource(base_url=urls["LASTFM_API_BASE"], data_dir=warehouse.data_dir), timing),
        "musicbrainz": with_timing(MusicbrainzResource(base_url=urls["MUSICBRAINZ_API_BASE"], data_dir=warehouse.data_dir),
                                   timing),
    }


def run_config(running) -> dict:
    as_of = datetime.fromtimestamp(running.world.clock.now(), UTC).replace(tzinfo=None).isoformat()
    return {"ops": {a.op.name: {"config": {"as_of": as_of}} for a in ENRICH_ASSETS},
            "loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def run_once(running, warehouse: Warehouse) -> dict:
    running.sandbox.reset_stats()
    started = time.perf_counter()
    result = dg.materialize(ENRICH_ASSETS, resources=resources(running, warehouse), run_config=run_config(running))
    compute_s = time.perf_counter() - started
    waits = dict.fromkeys(SERVICES, 0.0)
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        waits[SERVICE_OF_ASSET[event.asset_key]] += metadata["rate_limit_wait_s"].value
    stats = running.sandbox.stats()
    return {"calls": {s: stats["by_service"].get(s, 0) for s in SERVICES}, "violations": sum(stats["violations"].values()),
            "wait_s": waits, "compute_s": compute_s, "success": result.success}


def bench(tracks: int) -> list[dict]:
    library = generate_library(seed=4, users=1, liked=tracks, playlists=0)
    with tempfile.TemporaryDirectory() as data_dir, start_sandbox(library) as running:
        warehouse = Warehouse(storage="duckdb", data_dir=data_dir)
        frame = catalog(library, tracks)
        warehouse.replace_partition("raw.tracks", library.users[0].id, frame)
        shape = {"tracks": frame.height, "without_isrc": frame["isrc"].null_count(),
                 "artists": frame.explode("artist_names")["artist_names"].n_unique()}
        return [{**shape, "run": run, **run_once(running, warehouse)} for run in ("first", "second")]


def baseline_figures(row: dict) -> str:
    scale = row["tracks"] / BASELINE["tracks"]
    if row["run"] == "first":
        return f"~{BASELINE['first_calls'] * scale:,.0f} calls, ~{BASELINE['first_s'] * scale:,.0f} s"
    return f"~{BASELINE['second_calls'] * scale:,.0f} calls"


HEADER = (f"{'tracks':>7} {'no isrc':>7} {'artists':>7} {'run':>6} | {'deezer':>6} {'lastfm':>6} {'mbrainz':>7} "
          f"{'total':>6} {'viol':>4} | {'wait s':>8} {'compute s':>9} {'wall s':>8} | baseline (scaled)")


def print_row(r: dict) -> None:
    calls, wait = r["calls"], sum(r["wait_s"].values())
    print(f"{r['tracks']:>7} {r['without_isrc']:>7} {r['artists']:>7} {r['run']:>6} | {calls['deezer']:>6} "
          f"{calls['lastfm']:>6} {calls['musicbrainz']:>7} {sum(calls.values()):>6} {r['violations']:>4} | "
          f"{wait:>8.1f} {r['compute_s']:>9.1f} {wait + r['compute_s']:>8.1f} | {baseline_figures(r)}", flush=True)


def print_notes(rows: list[dict]) -> None:
    print()
    for r in rows:
        print(f"wait s, {r['tracks']} tracks, {r['run']} run: " + ", ".join(f"{s} {w:.1f}" for s, w in r["wait_s"].items()))
    print("wait s: simulated waiting for the rate limits; compute s: real time of the run against the sandbox;")
    print("wall s = wait + compute: what a real run would take (the services run one after another).")
    print("baseline: a naive enrichment, 100 tracks ~320 calls / ~16 s first run, ~30 calls second run, "
          "MusicBrainz never cached; scaled linearly to each size.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 tracks only")
    args = parser.parse_args()
    print(HEADER)
    print("-" * len(HEADER), flush=True)
    rows = []
    for size in QUICK_SIZES if args.quick else SIZES:
        for row in bench(size):
            print_row(row)
            rows.append(row)
    print_notes(rows)
    if not all(r["success"] for r in rows):
        raise SystemExit("a run failed")


if __name__ == "__main__":
    main()
