"""Ingestion cost: Spotify requests beside the theoretical minimum, wall time and peak memory.

    python -m benchmarks.bench_ingest [--quick]

For libraries of 1k, 10k and 50k liked songs with 50 playlists (--quick: 1k and 10k), against the
sandbox with 50 ms latency per request, through Dagster (`dg.materialize` of the Spotify assets and
checks, DuckDB warehouse), one process per size so peak memory is that size's:

- cold: the first sync; minimum = ceil(liked/50) + ceil(playlists/50) + Σ ceil(items/50) over readable playlists
- warm: nothing changed; minimum = the liked-songs head page + the playlist listing
- incremental: k new likes, one unlike and one edited playlist; minimum = ceil(k/50) + the listing +
  the edited playlist's pages (finding *which* song was unliked costs a few extra probes, shown apart)
- crash+resume: a cold sync by `mixtape run --stage ingest` SIGKILLed at about 90 % of the minimum (the
  request then in flight held by the sandbox, so its answer never arrives) and run again to the end;
  requests counts the pages both runs received against the cold minimum (the one request the kill cut
  off, shown as "+1 lost", brought nothing: it is no page fetched twice); peak MB is the command's
"""

import argparse
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

SIZES, QUICK_SIZES = [1_000, 10_000, 50_000], [1_000, 10_000]
PLAYLISTS = 50
NEW_LIKES = 30
LATENCY_MS = 50
USER = "alice"


def pages(n: int) -> int:
    return math.ceil(n / 50)


def listed(library: dict) -> list[dict]:
    return [p for p in library["playlists"] if USER in [p["owner"], *p["collaborators"], *p["followers"]]]


def readable(library: dict) -> list[dict]:
    return [p for p in listed(library) if p["owner"] == USER or USER in p["collaborators"]]


def cold_minimum(library: dict) -> int:
    return pages(len(library["liked"][USER])) + pages(len(listed(library))) + sum(pages(len(p["items"])) for p in readable(library))


def change_library(library: dict) -> tuple[dict, int]:
    """k new likes, one unlike, one edited playlist; returns the library and the run's minimum."""
    liked = library["liked"][USER]
    known = {s["track_id"] for s in liked}
    fresh = [t["id"] for t in library["tracks"] if t["id"] not in known][:NEW_LIKES]
    liked.pop(len(liked) // 2)
    liked += [{"track_id": t, "added_at": f"2026-11-20T10:{i:02d}:00Z"} for i, t in enumerate(fresh)]
    edited = max((p for p in library["playlists"] if p["owner"] == USER), key=lambda p: len(p["items"]))
    edited["items"].append({"track_id": fresh[0], "added_at": "2026-11-20T11:00:00Z", "added_by": USER})
    return library, pages(NEW_LIKES) + pages(len(listed(library))) + pages(len(edited["items"]))


def measure(size: int) -> dict:
    """Cold, warm and incremental syncs of one library size, in this process."""
    import dagster as dg
    import requests

    from assets.spotify import SPOTIFY_ASSETS, SPOTIFY_CHECKS
    from pipelines.commands.login import login
    from sandbox import start_sandbox
    from sandbox.generator import generate_library
    from resources.settings import Settings
    from resources.spotify import SpotifyResource
    from resources.warehouse import Warehouse

    workdir = tempfile.mkdtemp(prefix="bench_ingest_")
    sandbox = start_sandbox(generate_library(seed=11, users=[USER, "bob"], liked=size, playlists=PLAYLISTS), latency_ms=LATENCY_MS)
    os.environ.update(SPOTIFY_API_BASE=sandbox.url, SPOTIFY_ACCOUNTS_BASE=sandbox.url, MIXTAPE_DATA_DIR=f"{workdir}/data")
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE"):
        os.environ.pop(name, None)
    login(Settings.from_env(), USER, open_browser=False, timeout_s=5, say=lambda *_: None)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", [USER])
    resources = {"warehouse": Warehouse(storage="duckdb", data_dir=f"{workdir}/data"),
                 "spotify": SpotifyResource(api_base=sandbox.url, accounts_base=sandbox.url, data_dir=f"{workdir}/data",
                                            budget_per_day=None)}

    def sync() -> tuple[int, float, int]:
        requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5)
        started = time.perf_counter()
        result = dg.materialize([*SPOTIFY_ASSETS, *SPOTIFY_CHECKS], partition_key=USER, instance=instance, resources=resources)
        elapsed = time.perf_counter() - started
        assert result.success
        probes = result.asset_materializations_for_node("liked_songs")[0].metadata["located_removal_requests"].value
        counts = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
        return sum(n for route, n in counts.items() if " /v1/" in route), elapsed, probes

    library = requests.get(f"{sandbox.url}/_sandbox/library", timeout=60).json()
    rows = {"playlists": len(listed(library))}
    rows["cold"] = (*sync(), cold_minimum(library))
    rows["warm"] = (*sync(), 1 + pages(len(listed(library))))
    changed, minimum = change_library(library)
    requests.post(f"{sandbox.url}/_sandbox/library", json=changed, timeout=60).raise_for_status()
    rows["incremental"] = (*sync(), minimum)
    sandbox.stop()
    rows["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return rows


ITEMS_ROUTE = "GET /v1/playlists/{playlist_id}/items"
RULES = "defaults:\n  - name: Every like\n    source: liked\n"


def crash_resume(size: int) -> dict:
    """A cold sync killed at ~90 % and resumed, through the real `mixtape run` command."""
    import requests

    from pipelines.commands.login import login
    from sandbox import start_sandbox
    from sandbox.generator import generate_library
    from resources.settings import Settings

    workdir = tempfile.mkdtemp(prefix="bench_crash_")
    with open(f"{workdir}/rules.yaml", "w") as rules:
        rules.write(RULES)
    sandbox = start_sandbox(generate_library(seed=11, users=[USER, "bob"], liked=size, playlists=PLAYLISTS), latency_ms=LATENCY_MS)
    os.environ.update(SPOTIFY_API_BASE=sandbox.url, SPOTIFY_ACCOUNTS_BASE=sandbox.url, MIXTAPE_DATA_DIR=f"{workdir}/data",
                      DAGSTER_HOME=f"{workdir}/dagster_home", MIXTAPE_RULES=f"{workdir}/rules.yaml")
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE"):
        os.environ.pop(name, None)
    login(Settings.from_env(), USER, open_browser=False, timeout_s=5, say=lambda *_: None)
    library = requests.get(f"{sandbox.url}/_sandbox/library", timeout=60).json()
    minimum = cold_minimum(library)
    command = [sys.executable, "-m", "pipelines.cli", "run", "--user", USER, "--stage", "ingest"]

    def spent() -> int:
        counts = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
        return sum(n for route, n in counts.items() if " /v1/" in route)

    def count(route: str) -> int:
        return requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"].get(route, 0)

    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5)
    started = time.perf_counter()
    # the liked songs and the listing are read before the playlists' items: hold the items request
    # that is the sync's ~90 %-th and kill the run while it waits (as tests/ingest/test_crash_resume.py)
    nth = max(1, round(0.9 * minimum) - pages(len(library["liked"][USER])) - pages(len(listed(library))))
    requests.post(f"{sandbox.url}/_sandbox/faults", timeout=5, json=[
        {"route": ITEMS_ROUTE, "times": nth - 1, "status": 200},
        {"route": ITEMS_ROUTE, "times": 1, "status": 500, "delay_ms": 3_600_000}][0 if nth > 1 else 1:])
    child = subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while count(ITEMS_ROUTE) < nth:
        if child.poll() is not None:
            raise RuntimeError(f"the run ended before the held request: {child.communicate()[0][-2000:]}")
        time.sleep(0.02)
    killed = spent() - 1  # the held request: its answer never arrives
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5)
    resumed = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if resumed.returncode:
        raise RuntimeError(resumed.stdout[-2000:] + resumed.stderr[-2000:])
    wall = time.perf_counter() - started
    again = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
    total = killed + spent()
    sandbox.stop()
    return {"playlists": len(listed(library)), "crash": (total, wall, f"@{killed / minimum:.0%} +1 lost", minimum),
            "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "killed": killed, "resumed": {route: n for route, n in again.items() if " /v1/" in route}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # measure one size, print JSON (child process)
    parser.add_argument("--crash", type=int, help=argparse.SUPPRESS)  # crash-resume of one size (child process)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    if args.crash:
        print(json.dumps(crash_resume(args.crash)))
        return
    print(f"Spotify requests per sync (sandbox, devmode, {LATENCY_MS} ms latency, {PLAYLISTS} playlists generated, "
          f"incremental = {NEW_LIKES} new likes + 1 unlike + 1 edited playlist)\n")
    print(f"{'liked':>7} {'listed':>6} {'sync':<12} {'requests':>8} {'minimum':>8} {'ratio':>6} {'probes':>13} {'wall s':>7} {'peak MB':>8}")
    for size in QUICK_SIZES if args.quick else SIZES:
        child = subprocess.run([sys.executable, "-m", "benchmarks.bench_ingest", "--one", str(size)],
                               capture_output=True, text=True, check=True)
        rows = json.loads(child.stdout.strip().splitlines()[-1])
        crashed = subprocess.run([sys.executable, "-m", "benchmarks.bench_ingest", "--crash", str(size)],
                                 capture_output=True, text=True, check=True)
        crash = json.loads(crashed.stdout.strip().splitlines()[-1])
        rows["crash"], peaks = crash["crash"], {"crash": crash["peak_mb"]}
        for name in ("cold", "warm", "incremental", "crash"):
            spent, wall, probes, minimum = rows[name]
            label = "crash+resume" if name == "crash" else name  # probes: where the kill came, for the crash
            print(f"{size:>7} {rows['playlists']:>6} {label:<12} {spent:>8} {minimum:>8} {spent / minimum:>6.2f} "
                  f"{probes:>13} {wall:>7.1f} {peaks.get(name, rows['peak_mb']):>8.0f}")


if __name__ == "__main__":
    main()
