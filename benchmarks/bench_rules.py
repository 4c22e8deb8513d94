"""Rule engine benchmark: the Polars evaluator against the per-track evaluator (benchmarks/naive_rules.py).

    python -m benchmarks.bench_rules            # 10k, 100k, 1M tracks x 1, 10, 100 child playlists
    python -m benchmarks.bench_rules --quick    # small sizes, for CI

Each measurement runs in a fresh process, so the peak memory printed (peak RSS above the RSS once the
frame is built) belongs to that engine and size alone. The per-track evaluator is run for real up to
`--naive-limit` track x playlist evaluations; beyond that its time is extrapolated linearly from the
largest real run of the same track count (or of fewer tracks) and marked with "~".
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import resource
import time
from queue import Empty

import numpy as np
import polars as pl
import yaml

NOW = dt.datetime(2026, 11, 21, 12, 0)
GENRES = ["rock", "indie rock", "pop", "dance pop", "jazz", "hip hop", "techno", "house", "folk", "metal",
          "drum and bass", "ambient", "soul", "punk", "classical", "electro", "trip hop", "country"]
WORDS = ["love", "night", "fire", "dream", "city", "heart", "run", "light", "blue", "gold", "rain", "home"]
PLAYLIST_NAMES = [f"Playlist {i}" for i in range(20)]


def synthetic_features(n: int, seed: int = 7) -> pl.DataFrame:
    """A features frame of n tracks with realistic spreads and missing values (vectorised)."""
    rng = np.random.default_rng(seed)
    ids = [f"t{i:07d}" for i in range(n)]
    years = rng.integers(1960, 2027, n)
    release = pl.Series(years).cast(pl.String) + "-" + pl.Series(rng.integers(1, 13, n)).cast(pl.String).str.zfill(2) + "-01"
    liked = rng.random(n) < 0.6
    start = np.datetime64("2015-01-01T00:00:00")
    added = (start + rng.integers(0, 11 * 365 * 86400, n).astype("timedelta64[s]")).astype("datetime64[us]")
    liked_at = np.where(liked, added + rng.integers(0, 86400 * 30, n).astype("timedelta64[s]"),
                        np.datetime64("NaT")).astype("datetime64[us]")
    word = lambda: np.array(WORDS)[rng.integers(0, len(WORDS), n)]  # noqa: E731
    genres = [[GENRES[g] for g in rng.choice(len(GENRES), k, replace=False)] for k in rng.integers(0, 4, n)]
    playlists = [list(rng.choice(20, k, replace=False)) for k in rng.integers(0, 3, n)]
    bpm = np.round(rng.normal(122, 28, n), 1)
    frame = pl.DataFrame({
        "user_id": "bench",
        "track_id": ids,
        "track_uri": [f"spotify:track:{i}" for i in ids],
        "title": pl.Series(word()) + " " + pl.Series(word()),
        "artist": [f"Artist {a}" for a in rng.integers(0, max(n // 8, 1), n)],
        "album": pl.Series(word()) + " album",
        "album_type": np.array(["album", "single", "compilation"])[rng.integers(0, 3, n)],
        "release_date": release.str.to_date(),
        "release_year": years,
        "decade": years // 10 * 10,
        "duration_ms": rng.integers(90_000, 420_000, n),
        "explicit": rng.random(n) < 0.2,
        "track_number": rng.integers(1, 15, n),
        "isrc": [f"US{i % (n - n // 20 or 1):010d}" for i in range(n)],  # ~5% share an ISRC
        "is_local": False,
        "liked": liked,
        "liked_at": liked_at,
        "added_at": added,
        "in_playlist": [[f"p{p}" for p in ps] for ps in playlists],
        "playlist_names": [[PLAYLIST_NAMES[p] for p in ps] for ps in playlists],
        "genres": genres,
        "tags": [g[:1] for g in genres],
        "bpm": pl.Series(bpm).set(pl.Series(rng.random(n) < 0.15), None),
        "gain": np.round(rng.normal(-9, 3, n), 1),
        "deezer_rank": rng.integers(0, 1_000_000, n),
        "lastfm_listeners": rng.integers(0, 2_000_000, n),
        "lastfm_playcount": rng.integers(0, 20_000_000, n),
        "popularity": rng.integers(0, 101, n),
    })
    from assets.playlists.rules import conform

    return conform(frame.with_columns(title_key=pl.col("title").str.to_lowercase(),
                                      artist_key=pl.col("artist").str.to_lowercase()))


def rule_file(count: int, seed: int = 11) -> str:
    """`count` child playlists drawn from a varied mix of templates (filters, sources, sort, limit, dedupe).
    Most are capped by count or duration, as real child playlists are; the uncapped ones (recent likes,
    a union with a tag filter) grow with the library."""
    rng = random.Random(seed)
    templates = [
        lambda: {"filter": {"all": [{"field": "bpm", "op": "between", "value": sorted(rng.sample(range(80, 200), 2))},
                                    {"field": "genres", "op": "contains", "value": rng.choice(GENRES)}]},
                 "sort": [{"field": "bpm", "order": "asc"}], "limit": {"count": 100}},
        lambda: {"source": "liked", "filter": {"field": "liked_at", "op": "in_the_last", "value": rng.choice(["30d", "6 months", "2y"])}},
        lambda: {"filter": {"field": "decade", "op": "is", "value": rng.choice(range(1960, 2030, 10))},
                 "sort": {"shuffle": "weekly", "seed": rng.randint(0, 9)}, "limit": {"duration": "2 h"}},
        lambda: {"source": {"difference": [{"playlist": rng.choice(PLAYLIST_NAMES)}, {"playlist": f"p{rng.randint(0, 19)}"}]},
                 "dedupe": "isrc", "limit": {"duration": "3 h"}},
        lambda: {"filter": {"any": [{"field": "title", "op": "matches", "value": f"^{rng.choice(WORDS)}"},
                                    {"not": {"field": "explicit", "op": "is", "value": True}}]},
                 "sort": [{"field": "release_date", "order": "desc"}, {"field": "title"}], "dedupe": "title_artist",
                 "limit": {"count": 500}},
        lambda: {"source": {"union": ["liked", {"playlist": rng.choice(PLAYLIST_NAMES)}]},
                 "filter": {"all": [{"field": "gain", "op": "gt", "value": -10},
                                    {"field": "tags", "op": "in", "value": rng.sample(GENRES, 3)},
                                    {"field": "artist", "op": "not_contains", "value": str(rng.randint(0, 9))}]}},
    ]
    playlists = []
    for i in range(count):
        playlist = {"name": f"child {i}", **templates[i % len(templates)]()}
        if i % 10 == 9:  # some child playlists read earlier ones
            playlist["source"] = {"intersection": [{"child": f"child {i - 3}"}, "liked"]}
        playlists.append(playlist)
    return yaml.safe_dump({"users": {"bench": playlists}}, sort_keys=False)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def _measure(engine: str, tracks: int, playlists: int, queue) -> None:
    """In a fresh process: build the inputs, run one engine once, report seconds, rows and memory."""
    from assets.playlists.rules import evaluate, parse_rules
    from benchmarks.naive_rules import evaluate_naive

    frame = synthetic_features(tracks)
    rules, _ = parse_rules(rule_file(playlists)).for_user("bench")
    rows = frame.to_dicts() if engine == "naive" else None
    before = _rss_mb()
    started = time.perf_counter()
    if engine == "polars":
        count = evaluate(frame, rules, user_id="bench", now=NOW).tracks.height
    else:
        count = len(evaluate_naive(rows, rules, user_id="bench", now=NOW))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, count, max(peak - before, 0.0)))


def run(engine: str, tracks: int, playlists: int) -> tuple[float, int, float]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(engine, tracks, playlists, queue))
    process.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not process.is_alive():
                raise RuntimeError(f"the {engine} run of {tracks} x {playlists} failed") from None
    process.join()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k tracks x 1 and 10 child playlists")
    parser.add_argument("--naive-limit", type=float, default=1e7,
                        help="largest tracks x playlists the per-track evaluator runs for real (default 1e7)")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    counts = [1, 10] if args.quick else [1, 10, 100]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings scale with it)")
    print(f"{'tracks':>9} {'playlists':>9} {'rows out':>9} {'polars s':>9} {'naive s':>10} {'ratio':>8} "
          f"{'polars MB':>9} {'naive MB':>9}")
    per_evaluation: dict[int, float] = {}  # naive seconds per track x playlist, by playlist count
    for tracks in sizes:
        for playlists in counts:
            fast, rows_out, fast_mb = run("polars", tracks, playlists)
            if tracks * playlists <= args.naive_limit:
                slow, naive_rows, slow_mb = run("naive", tracks, playlists)
                assert naive_rows == rows_out, "the engines disagree"
                per_evaluation[playlists] = slow / (tracks * playlists)
                shown, mb = f"{slow:10.3f}", f"{slow_mb:9.0f}"
            else:
                slow = per_evaluation[playlists] * tracks * playlists
                shown, mb = f"~{slow:9.1f}", f"{'-':>9}"
            print(f"{tracks:>9,} {playlists:>9} {rows_out:>9,} {fast:9.3f} {shown} {slow / fast:7.1f}x "
                  f"{fast_mb:9.0f} {mb}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
