"""Enrichment: wall time at the services' real rate limits beside the bound, and calls beside the baseline.

    python -m benchmarks.bench_enrich [--quick | --full]

For 100 and 1,000 tracks of a generated library (--quick: 100; --full: 10,000 too, over an hour),
the enrichment step runs twice against the sandbox in real time: its sources side by side, each client
paced at its service's real limit (Deezer 50 per 5 s, Last.fm 4 per s, MusicBrainz 1 per s), the
sandbox counting rate-limit violations. Printed per run: calls per service, violations, the run's time,
the enrichment step's wall time, the bound (the slowest service's calls ÷ its rate: no run can be
faster) and their ratio.

Beside them, the baseline (`baseline_enrich`: the per-track strategy mixtape replaced) runs the same
catalog twice against a sandbox of its own, one track after another at the same limits, its waiting
simulated on the sandbox clock; its calls are counted at the sandbox and its time is what those
limits cost it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.enrichment import ENRICH_ASSETS
from benchmarks.baseline_enrich import BaselineEnricher
from resources.deezer import RATE as DEEZER_RATE
from resources.deezer import DeezerResource
from resources.http import Timing
from resources.lastfm import RATE as LASTFM_RATE
from resources.lastfm import LastfmResource
from resources.musicbrainz import RATE as MUSICBRAINZ_RATE
from resources.musicbrainz import MusicbrainzResource
from resources.warehouse import Warehouse
from sandbox import start_sandbox
from sandbox.generator import generate_library

QUICK_SIZES, SIZES, FULL_SIZES = [100], [100, 1_000], [100, 1_000, 10_000]
RATES = {service: limit / per_s for service, (limit, per_s) in
         {"deezer": DEEZER_RATE, "lastfm": LASTFM_RATE, "musicbrainz": MUSICBRAINZ_RATE}.items()}  # requests per second
SERVICES = list(RATES)


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
    urls = running.base_urls
    return {
        "warehouse": warehouse,
        "deezer": DeezerResource(base_url=urls["DEEZER_API_BASE"], data_dir=warehouse.data_dir),
        "lastfm": LastfmResource(base_url=urls["LASTFM_API_BASE"], data_dir=warehouse.data_dir),
        "musicbrainz": MusicbrainzResource(base_url=urls["MUSICBRAINZ_API_BASE"], data_dir=warehouse.data_dir),
    }


def run_config() -> dict:
    as_of = datetime.now(UTC).replace(tzinfo=None).isoformat()
    return {"ops": {a.op.name: {"config": {"as_of": as_of}} for a in ENRICH_ASSETS},
            "loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def counted(running) -> dict:
    stats = running.sandbox.stats()
    return {"calls": {s: stats["by_service"].get(s, 0) for s in SERVICES}, "violations": sum(stats["violations"].values())}


def bound_s(calls: dict[str, int]) -> float:
    """The least time the calls can take: each service alone at its rate, the slowest one."""
    return max(calls[s] / RATES[s] for s in SERVICES)


def mixtape_run(running, warehouse: Warehouse) -> dict:
    """One enrichment run; wall_s is its step's time (reading the caches, fetching, writing them back),
    run_s the whole run's, Dagster's start-up included."""
    running.sandbox.reset_stats()
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(ENRICH_ASSETS, resources=resources(running, warehouse), run_config=run_config(),
                                instance=instance)
        (step,) = instance.get_run_step_stats(result.run_id)
    return {**counted(running), "wall_s": step.end_time - step.start_time, "run_s": time.perf_counter() - started,
            "success": result.success}


def baseline_run(running, enricher: BaselineEnricher, tracks: list[dict]) -> dict:
    running.sandbox.reset_stats()
    started = running.world.clock.now()
    enricher.enrich(tracks)
    elapsed = running.world.clock.now() - started
    return {**counted(running), "wall_s": elapsed, "run_s": elapsed, "success": True}


def bench(tracks: int) -> list[dict]:
    library = generate_library(seed=4, users=1, liked=tracks, playlists=0)
    frame = catalog(library, tracks)
    shape = {"tracks": frame.height, "without_isrc": frame["isrc"].null_count(),
             "artists": frame.explode("artist_names")["artist_names"].n_unique()}
    rows = []
    with tempfile.TemporaryDirectory() as data_dir, start_sandbox(library) as running:
        warehouse = Warehouse(storage="duckdb", data_dir=data_dir)
        warehouse.replace_partition("raw.tracks", library.users[0].id, frame)
        rows += [{**shape, "who": "mixtape", "run": run, **mixtape_run(running, warehouse)} for run in ("first", "second")]
    with start_sandbox(library) as running:
        timing = Timing(clock=running.world.clock.now, sleep=running.world.clock.advance)
        urls = running.base_urls
        enricher = BaselineEnricher({"deezer": urls["DEEZER_API_BASE"], "lastfm": urls["LASTFM_API_BASE"],
                                     "musicbrainz": urls["MUSICBRAINZ_API_BASE"]}, timing)
        rows += [{**shape, "who": "baseline", "run": run, **baseline_run(running, enricher, frame.to_dicts())}
                 for run in ("first", "second")]
    return rows


HEADER = (f"{'tracks':>7} {'no isrc':>7} {'artists':>7} {'who':>8} {'run':>6} | {'deezer':>6} {'lastfm':>6} "
          f"{'mbrainz':>7} {'total':>6} {'viol':>4} | {'run s':>7} {'wall s':>8} {'bound s':>8} {'ratio':>6}")


def print_row(r: dict) -> None:
    calls, bound = r["calls"], bound_s(r["calls"])
    ratio = f"{r['wall_s'] / bound:>6.2f}" if bound else f"{'–':>6}"
    print(f"{r['tracks']:>7} {r['without_isrc']:>7} {r['artists']:>7} {r['who']:>8} {r['run']:>6} | "
          f"{calls['deezer']:>6} {calls['lastfm']:>6} {calls['musicbrainz']:>7} {sum(calls.values()):>6} "
          f"{r['violations']:>4} | {r['run_s']:>7.1f} {r['wall_s']:>8.1f} {bound:>8.1f} {ratio}", flush=True)


def print_notes() -> None:
    print()
    print("mixtape: real time, the sources side by side at the real limits; wall s = the enrichment step, run s =")
    print("the whole Dagster run (its start-up included); bound s = the slowest")
    print("service's calls ÷ its rate (Deezer 10/s, Last.fm 4/s, MusicBrainz 1/s); ratio = wall ÷ bound.")
    print("baseline: the per-track strategy mixtape replaced, one track after another at the same limits;")
    print("wall s: its real run time plus its simulated waiting (its time at the real limits).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="100 tracks only")
    size.add_argument("--full", action="store_true", help="10,000 tracks too (over an hour)")
    args = parser.parse_args()
    print(HEADER)
    print("-" * len(HEADER), flush=True)
    rows = []
    for tracks in QUICK_SIZES if args.quick else FULL_SIZES if args.full else SIZES:
        for row in bench(tracks):
            print_row(row)
            rows.append(row)
    print_notes()
    if not all(r["success"] for r in rows):
        raise SystemExit("a run failed")


if __name__ == "__main__":
    main()
