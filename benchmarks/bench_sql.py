"""`mixtape sql -c` beside plain DuckDB on the same warehouse snapshot.

    python -m benchmarks.bench_sql            # 100,000 liked songs, 7 runs per query
    python -m benchmarks.bench_sql --quick    # 10,000 liked songs, 3 runs

Each run is a fresh process, as a person typing the command starts one: `mixtape sql -c QUERY` against
`python -c` that imports duckdb, opens the same snapshot read-only and prints the rows. The ratio is the
price of the command (its settings, its output formatting) over the bare minimum; the median of the runs
is shown, as wall time and as the processor time the process used (user + system, which other work on a
busy machine does not inflate). Also: whether the command loaded Dagster (it must not).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

QUERIES = ["select 1", "select count(*) as liked, max(liked_at) as last from liked_songs"]
PLAIN = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).sql(sys.argv[2]).fetchall())"
CHECK_IMPORTS = ("import sys; from pipelines.cli import main; main(['sql', '-c', 'select 1']); "
                 "print('dagster' in sys.modules, file=sys.stderr)")


def build_snapshot(data_dir: str, liked: int) -> Path:
    """A DuckDB warehouse with `liked` liked songs for one user, and its snapshot."""
    from resources.snapshot import refresh_snapshot
    from resources.warehouse import Warehouse

    warehouse = Warehouse(storage="duckdb", data_dir=data_dir)
    start = datetime(2015, 1, 1)
    rows = pl.DataFrame({"track_id": [f"t{i:07d}" for i in range(liked)],
                         "liked_at": [start + timedelta(minutes=17 * i) for i in range(liked)]})
    warehouse.replace_partition("raw.liked_songs", "bench", rows)
    return refresh_snapshot(warehouse)


def mixtape_command() -> list[str]:
    script = Path(sys.executable).with_name("mixtape")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]


def timed(command: list[str], env: dict, cwd: str) -> tuple[float, float]:
    """Wall seconds and processor seconds (user + system) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def median_seconds(command: list[str], env: dict, cwd: str, runs: int) -> tuple[float, float]:
    timed(command, env, cwd)  # the first run warms the file cache for both sides alike
    walls, cpus = zip(*(timed(command, env, cwd) for _ in range(runs)))
    return statistics.median(walls), statistics.median(cpus)


def loads_dagster(env: dict, cwd: str) -> bool:
    project = str(Path(__file__).resolve().parents[1])
    result = subprocess.run([sys.executable, "-c", CHECK_IMPORTS], env={**env, "PYTHONPATH": project}, cwd=cwd,
                            check=True, capture_output=True, text=True)
    return result.stderr.strip().splitlines()[-1] == "True"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 liked songs, 3 runs per query")
    args = parser.parse_args(argv)
    liked, runs = (10_000, 3) if args.quick else (100_000, 7)
    with tempfile.TemporaryDirectory() as data_dir:
        snapshot = build_snapshot(data_dir, liked)
        # No Spotify app and no .env in the working directory: the command's own defaults, in no world.
        env = {**os.environ, "MIXTAPE_DATA_DIR": data_dir, "MIXTAPE_STORAGE": "duckdb"}
        print(f"snapshot: {liked:,} liked songs, {snapshot.stat().st_size / 2**20:.1f} MB; "
              f"median of {runs} fresh processes; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'query':<64} | {'wall s: mixtape sql':>19} {'duckdb':>6} {'ratio':>6} | "
              f"{'cpu s: mixtape sql':>18} {'duckdb':>6} {'ratio':>6}")
        for query in QUERIES:
            wall, cpu = median_seconds([*mixtape_command(), "sql", "-c", query], env, data_dir, runs)
            plain_wall, plain_cpu = median_seconds([sys.executable, "-c", PLAIN, str(snapshot), query], env, data_dir, runs)
            print(f"{query:<64} | {wall:>19.2f} {plain_wall:>6.2f} {wall / plain_wall:>5.1f}x | "
                  f"{cpu:>18.2f} {plain_cpu:>6.2f} {cpu / plain_cpu:>5.1f}x", flush=True)
        print(f"Dagster loaded by `mixtape sql -c`: {'yes' if loads_dagster(env, data_dir) else 'no'}")


if __name__ == "__main__":
    main()
