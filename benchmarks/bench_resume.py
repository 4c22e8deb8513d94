"""A cold sync larger than the daily quota, measured at the sandbox: days to complete and wasted requests.

    python -m benchmarks.bench_resume [--quick] [--liked N ...] [--budgets B ...]

For a library of 3,000 liked songs with 10 playlists (`--liked` for larger ones) and daily budgets of
40 and 100 requests, the real Spotify assets (`dg.materialize`, DuckDB warehouse, the Spotify resource
with that budget) run once a simulated day against a sandbox that enforces the same quota per day, its
clock moved a day between runs, until the library is complete. Every figure is counted by the sandbox:

- per day: the Web API requests the sandbox answered that day
- minimum: the cold-sync minimum of the final library, ceil(liked/50) + ceil(listed/50) + Σ ceil(items/50)
  over the playlists the user can read
- wasted = total − minimum: the head checks of each resumption and, with churn (37 new likes and 5
  unlikes between days), the probes that locate the removals

A sync that restarted from zero each day would never finish once the minimum exceeds the budget.
"""

from __future__ import annotations

import argparse
import math
import os
from collections import Counter
import tempfile
from datetime import UTC, datetime

import dagster as dg
import requests

from assets.spotify import SPOTIFY_ASSETS, SPOTIFY_CHECKS, library_complete
from benchmarks.bench_ingest import cold_minimum
from pipelines.commands.login import login
from resources.clock import Clock
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse
from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library

SIZES = [3_000]
BUDGETS = [40, 100]
PLAYLISTS = 10
CHURN = (37, 5)  # new likes, unlikes between days
USER = "alice"
DAY = 86400.0
MAX_DAYS = 60
LIKED, LISTING, ITEMS = "GET /v1/me/tracks", "GET /v1/me/playlists", "GET /v1/playlists/{playlist_id}/items"


class SimulatedDays:
    """The sandbox's clock and mixtape's moved together, a day at a time, each run at midday UTC."""

    def __init__(self, sandbox: RunningSandbox):
        self.sandbox = sandbox
        self.offset = 0.0
        self.advance((43200 - datetime.now(UTC).timestamp() % DAY) % DAY)  # no run straddles midnight

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        requests.post(f"{self.sandbox.url}/_sandbox/clock", json={"advance_s": seconds}, timeout=5).raise_for_status()

    def clock(self) -> Clock:
        return Clock(offset_s=self.offset)


def api_requests(sandbox: RunningSandbox) -> Counter:
    """Web API requests the sandbox answered since its last reset, by route (not the token requests)."""
    counts = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
    return Counter({route: n for route, n in counts.items() if " /v1/" in route})


def churn(sandbox: RunningSandbox, day: int, now: datetime) -> None:
    """New likes (liked now) and unlikes spread over the library, as a user's day brings."""
    library = requests.get(f"{sandbox.url}/_sandbox/library", timeout=60).json()
    liked = library["liked"][USER]
    known = {s["track_id"] for s in liked}
    new, unliked = CHURN
    fresh = [t["id"] for t in library["tracks"] if t["id"] not in known][:new]
    gone = {liked[(day * 7919 + i * 104_729) % len(liked)]["track_id"] for i in range(unliked)}
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    library["liked"][USER] = [s for s in liked if s["track_id"] not in gone] + [
        {"track_id": t, "added_at": stamp} for t in fresh]
    requests.post(f"{sandbox.url}/_sandbox/library", json=library, timeout=60).raise_for_status()


def sync_over_days(size: int, budget: int, with_churn: bool) -> tuple[list[int], Counter, int, int]:
    """Requests per day until the library is complete, all of them by route, the liked-songs probes
    that located removals, and the final library's cold minimum."""
    workdir = tempfile.mkdtemp(prefix="bench_resume_")
    data_dir = f"{workdir}/data"
    library = generate_library(seed=5, users=[USER, "bob"], liked=size, playlists=PLAYLISTS)
    with start_sandbox(library, quota_per_day=budget) as sandbox:
        os.environ.update(SPOTIFY_API_BASE=sandbox.url, SPOTIFY_ACCOUNTS_BASE=sandbox.url, MIXTAPE_DATA_DIR=data_dir)
        for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE"):
            os.environ.pop(name, None)
        login(Settings.from_env(), USER, open_browser=False, timeout_s=5, say=lambda *_: None)
        days = SimulatedDays(sandbox)
        warehouse = Warehouse(storage="duckdb", data_dir=data_dir)
        instance = dg.DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("spotify_users", [USER])
        spent, routes, probes = [], Counter(), 0
        while len(spent) < MAX_DAYS:
            requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()
            spotify = SpotifyResource(api_base=sandbox.url, accounts_base=sandbox.url, data_dir=data_dir,
                                      clock=days.clock(), budget_per_day=budget, backoff_s=0.01)
            result = dg.materialize([*SPOTIFY_ASSETS, *SPOTIFY_CHECKS], partition_key=USER, instance=instance,
                                    resources={"warehouse": warehouse, "spotify": spotify})
            if not result.success:
                raise RuntimeError(f"day {len(spent) + 1}: the Spotify assets failed")
            today = api_requests(sandbox)
            spent.append(sum(today.values()))
            routes += today
            liked = result.asset_materializations_for_node("liked_songs")[0].metadata
            probes += liked["located_removal_requests"].value
            if library_complete(warehouse, USER):
                final = requests.get(f"{sandbox.url}/_sandbox/library", timeout=60).json()
                return spent, routes, probes, cold_minimum(final)
            days.advance(DAY)
            if with_churn:
                churn(sandbox, len(spent), days.clock().now())
    raise RuntimeError(f"not complete after {MAX_DAYS} days: {spent}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the default sizes (kept for `python -m benchmarks --quick`)")
    parser.add_argument("--liked", type=int, nargs="+", default=SIZES, help="liked songs (default: 3000)")
    parser.add_argument("--budgets", type=int, nargs="+", default=BUDGETS, help="requests per day (default: 40 100)")
    args = parser.parse_args()
    print(f"Cold sync over days: the real Spotify assets against the sandbox with a daily quota ({PLAYLISTS} playlists "
          f"generated; churn = {CHURN[0]} new likes + {CHURN[1]} unlikes between days). Counted at the sandbox.\n")
    print(f"{'liked':>6} {'budget/day':>10} {'churn':>5} {'minimum':>7} {'ceil(min/budget)':>16} {'days':>4} "
          f"{'total':>6} {'wasted':>6} {'probes':>6} {'liked':>5} {'listing':>7} {'items':>5}  requests per day")
    for size in args.liked:
        for budget in args.budgets:
            for with_churn in (False, True):
                spent, routes, probes, minimum = sync_over_days(size, budget, with_churn)
                total = sum(spent)
                print(f"{size:>6} {budget:>10} {'yes' if with_churn else 'no':>5} {minimum:>7} "
                      f"{math.ceil(minimum / budget):>16} {len(spent):>4} {total:>6} {total - minimum:>6} {probes:>6} "
                      f"{routes[LIKED]:>5} {routes[LISTING]:>7} {routes[ITEMS]:>5}  {' '.join(map(str, spent))}",
                      flush=True)
    print("\nwasted = total − minimum (the final library's cold-sync minimum); every figure counted by the sandbox.")
    print("probes: liked-songs requests that located removals (as the liked_songs asset reports them); liked, listing,")
    print("items: the total by endpoint (liked-songs pages, playlist listing pages, playlist items pages).")


if __name__ == "__main__":
    main()
