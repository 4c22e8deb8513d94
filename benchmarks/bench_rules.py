"""Rule engine benchmark: the Polars engine beside two baselines, the rules compiled to DuckDB SQL (as
SQL-based playlist tools do it: benchmarks/sql_rules.py) and the per-track evaluator
(benchmarks/naive_rules.py).

    python -m benchmarks.bench_rules            # 10k, 100k, 1M tracks x 1, 10, 100 child playlists
    python -m benchmarks.bench_rules --quick    # small sizes, for CI

Each measurement runs in a fresh process, so the peak memory printed belongs to that engine and size
alone: "MB" is the peak RSS above the RSS once the inputs are in place (the features frame; for SQL, the
features table loaded into DuckDB, as a SQL tool keeps them), and the closing lines give the Polars
engine's whole peak RSS. The engines' tracklists are compared child playlist by child playlist: the
per-track evaluator must agree with Polars on all, DuckDB SQL on every one whose order is not a seeded
shuffle (its hash differs) nor read from one. The per-track evaluator is run for real up to
`--naive-limit` track x playlist evaluations; beyond that its time is extrapolated linearly from the
largest real run with as many child playlists and marked with "~".
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import resource
import tempfile
import time
from pathlib import Path
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
    genres = distinct_picks(rng, GENRES, n, most=3)
    playlist_ids = distinct_picks(rng, [f"p{i}" for i in range(len(PLAYLIST_NAMES))], n, most=2)
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
        "in_playlist": playlist_ids,
        "playlist_names": playlist_ids.list.eval(pl.element().replace_strict(
            {f"p{i}": name for i, name in enumerate(PLAYLIST_NAMES)}, return_dtype=pl.String)),
        "genres": genres,
        "tags": genres.list.head(1),
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


def distinct_picks(rng: np.random.Generator, values: list[str], n: int, most: int) -> pl.Series:
    """n lists of 0 to `most` distinct values each, drawn uniformly (vectorised: a random permutation per row)."""
    picks = np.argsort(rng.random((n, len(values))), axis=1)[:, :most]
    names = np.array(values)[picks]
    columns = pl.DataFrame({**{f"v{i}": names[:, i] for i in range(most)}, "k": rng.integers(0, most + 1, n)})
    return columns.select(pl.concat_list(pl.exclude("k")).list.head(pl.col("k"))).to_series()


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


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def digests(tracks: pl.DataFrame) -> dict[str, int]:
    """A fingerprint of each child playlist's tracklist: positions, tracks and why each was admitted."""
    row = pl.struct(pl.col("position").cast(pl.Int64), pl.col("track_uri").cast(pl.String),
                    pl.col("admitted_by").cast(pl.String))
    rows = tracks.select("child_playlist", h=(row.hash(seed=0) // (1 << 33)).cast(pl.Int64))  # sums stay in range
    return dict(rows.group_by("child_playlist").agg(pl.col("h").sum()).iter_rows())


def _measure(engine: str, frame_path: str, playlists: int, queue) -> None:
    """In a fresh process: read the inputs, run one engine once, report seconds, rows, memory and digests."""
    from assets.playlists.rules import evaluate, parse_rules

    frame = pl.read_parquet(frame_path)
    rules, _ = parse_rules(rule_file(playlists)).for_user("bench")
    if engine == "naive":
        from benchmarks.naive_rules import evaluate_naive

        rows = frame.to_dicts()
        run = lambda: pl.DataFrame(evaluate_naive(rows, rules, user_id="bench", now=NOW))  # noqa: E731
    elif engine == "sql":
        import duckdb

        from benchmarks.sql_rules import evaluate_sql, load

        con = duckdb.connect()
        load(con, frame, rules)
        run = lambda: evaluate_sql(con, rules, user_id="bench", now=NOW)  # noqa: E731
    else:
        run = lambda: evaluate(frame, rules, user_id="bench", now=NOW).tracks  # noqa: E731
    before = _rss_mb()
    started = time.perf_counter()
    tracks = run()
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    queue.put((seconds, tracks.height, max(peak - before, 0.0), peak, digests(tracks)))


def run(engine: str, frame_path: Path, playlists: int) -> tuple[float, int, float, float, dict]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(engine, str(frame_path), playlists, queue))
    process.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not process.is_alive():
                raise RuntimeError(f"the {engine} run of {frame_path.stem} x {playlists} failed") from None
    process.join()
    return result


def shuffled(playlists: int) -> set[str]:
    """The child playlists whose order is a seeded shuffle or that read one."""
    from assets.playlists.rules import parse_rules
    from assets.playlists.rules.model import Shuffle, child_dependencies

    found: set[str] = set()
    for p in parse_rules(rule_file(playlists)).for_user("bench")[0]:  # in file order: children come first
        if isinstance(p.sort, Shuffle) or any(child in found for _, child in child_dependencies(p.source)):
            found.add(p.name)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k tracks x 1 and 10 child playlists")
    parser.add_argument("--naive-limit", type=float, default=1e7,
                        help="largest tracks x playlists the per-track evaluator runs for real (default 1e7)")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    counts = [1, 10] if args.quick else [1, 10, 100]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings scale with it)")
    print(f"{'tracks':>9} {'playlists':>9} {'rows out':>9} {'polars s':>9} {'sql s':>8} {'naive s':>10} "
          f"{'sql/polars':>10} {'naive/polars':>12} {'polars MB':>9} {'sql MB':>7} {'naive MB':>8} {'sql same':>10}")
    per_evaluation: dict[int, float] = {}  # naive seconds per track x playlist, by playlist count
    whole_peaks = []
    with tempfile.TemporaryDirectory() as directory:
        for tracks in sizes:
            frame_path = Path(directory) / f"{tracks}.parquet"
            synthetic_features(tracks).write_parquet(frame_path)  # built once, read by every measurement
            for playlists in counts:
                fast, rows_out, fast_mb, fast_peak, fast_digests = run("polars", frame_path, playlists)
                whole_peaks.append((tracks, playlists, fast_peak))
                sql, _, sql_mb, _, sql_digests = run("sql", frame_path, playlists)
                skip = shuffled(playlists)
                compared = {name: digest for name, digest in fast_digests.items() if name not in skip}
                assert {n: d for n, d in sql_digests.items() if n not in skip} == compared, "DuckDB SQL and Polars disagree"
                if tracks * playlists <= args.naive_limit:
                    slow, naive_rows, slow_mb, _, naive_digests = run("naive", frame_path, playlists)
                    assert naive_rows == rows_out and naive_digests == fast_digests, "the engines disagree"
                    per_evaluation[playlists] = slow / (tracks * playlists)
                    shown, mb = f"{slow:10.3f}", f"{slow_mb:8.0f}"
                else:
                    slow = per_evaluation[playlists] * tracks * playlists
                    shown, mb = f"~{slow:9.1f}", f"{'-':>8}"
                print(f"{tracks:>9,} {playlists:>9} {rows_out:>9,} {fast:9.3f} {sql:8.3f} {shown} "
                      f"{sql / fast:9.1f}x {slow / fast:11.1f}x {fast_mb:9.0f} {sql_mb:7.0f} {mb} "
                      f"{f'{len(compared)}/{len(fast_digests)}':>10}", flush=True)
    tracks, playlists, peak = whole_peaks[-1]
    print(f"Polars engine at {tracks:,} x {playlists}: peak RSS {peak:,.0f} MB in all, inputs included")
    print("sql same: of the child playlists with tracks, those compared and found identical in DuckDB SQL and "
          "Polars; the rest are seeded shuffles (hashed differently) or read one")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
