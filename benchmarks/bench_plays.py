"""A simulated week of listening polled by the recently-played sensor: plays captured / plays made, requests per day.

    python -m benchmarks.bench_plays [--quick] [--days N]

The sandbox makes up a listener's plays for a week (`sandbox.plays.listening`: sessions of back-to-back
tracks, skips, quiet nights) and shows them as its clock passes their end, keeping only the last 50 as
Spotify does. The week is always the same one (`WEEK_START`, the sandbox clock moved there), so runs
compare. The real sensor (`recently_played_poller`) is evaluated whenever the poll
schedule says a poll is due (between, nothing would happen: the sensor runs every minute and skips),
each run it requests is materialized (the real assets, DuckDB warehouse, Spotify resource with the
day's budget), and the clocks move on. Captured = plays in raw.recently_played; made = plays the
sandbox ended by the last poll; requests counted at the sandbox, beside the schedule's promise: at most
ceil(86400 / shortest interval) a day, 16 a day for a quiet listener.
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Iterator

import dagster as dg
import requests

from assets.listening.plays import LISTENING_PLAY_ASSETS
from assets.listening.poll_schedule import MAX_INTERVAL_S, Poll, bounds, fastest_rate, next_interval_s
from assets.listening.sensors import due_at, recent_polls, recently_played_poller
from pipelines.commands.login import login
from resources.clock import Clock
from resources.lastfm import LastfmResource
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse
from sandbox import start_sandbox
from sandbox.generator import generate_library
from sandbox.library import Library
from sandbox.plays import SKIP_SHARE, epoch_ms, listening

USER = "alice"
ROUTE = "GET /v1/me/player/recently-played"
SENSOR_TICK_S = 60.0  # the sensor's minimum interval: a due poll waits at most this long
BUDGET_PER_DAY = 900
# (plays a day, share skipped within seconds): light, heavy, and a heavy listener who skips half (plays
# come twice as fast: the schedule must poll sooner)
LISTENERS = [(20.0, SKIP_SHARE), (80.0, SKIP_SHARE), (80.0, 0.5)]
# A week whose third day holds, for the heavy listener who skips half, a burst of 55 plays in 90 minutes:
# more than Spotify keeps, in less than the longest wait between polls.
WEEK_START = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class Week:
    days: int
    made: int
    captured: int
    requests: int
    polls: list[tuple[datetime, int, float | None, bool]]  # (polled_at, plays, since_previous_s, full_page)
    promised_per_day: int
    busiest: int  # the most plays made in any span of the longest wait between polls

    @property
    def requests_per_day(self) -> float:
        return self.requests / self.days

    def early_polls(self) -> int:
        """Polls sooner than the schedule allowed after the ones before."""
        limits = bounds(BUDGET_PER_DAY, 1)
        log = [Poll(at.replace(tzinfo=UTC).timestamp(), plays, since) for at, plays, since, _ in self.polls]
        return sum(1 for n in range(1, len(log))
                   if log[n].polled_at - log[n - 1].polled_at < next_interval_s(fastest_rate(log[:n]), limits) - 1)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """The process environment with `values` set and the Spotify app variables unset, restored after."""
    saved = dict(os.environ)
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "SPOTIFY_REDIRECT_URI"):
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def listener_week(days: int, plays_per_day: float, skip_share: float) -> Library:
    """The simulated library, with the plays `USER` makes in the `days` from `WEEK_START`."""
    library = generate_library(seed=11, users=[USER, "bob"], liked=300, playlists=3, big_playlist=40)
    start = WEEK_START.replace(tzinfo=None)
    library.plays = {USER: listening(library, USER, start, start + timedelta(days=days), plays_per_day, skip_share)}
    return library


def simulate(days: int = 7, plays_per_day: float = 40.0, skip_share: float = SKIP_SHARE, workdir: str | None = None) -> Week:
    """Poll a simulated listener for `days` days with the real sensor and assets."""
    data_dir = f"{workdir or tempfile.mkdtemp(prefix='bench_plays_')}/data"
    library = listener_week(days, plays_per_day, skip_share)
    with start_sandbox(library) as sandbox, environment(SPOTIFY_API_BASE=sandbox.url, SPOTIFY_ACCOUNTS_BASE=sandbox.url,
                                                         MIXTAPE_DATA_DIR=data_dir):
        login(Settings.from_env(), USER, open_browser=False, timeout_s=5, say=lambda *_: None)
        offset = WEEK_START.timestamp() - sandbox.world.clock.now()
        requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance_s": offset}, timeout=5).raise_for_status()
        requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()
        warehouse = Warehouse(storage="duckdb", data_dir=data_dir)
        instance = dg.DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("spotify_users", [USER])
        cursor = None
        end = WEEK_START.timestamp() + days * 86400
        while sandbox.world.clock.now() < end:
            clock = Clock(offset_s=offset)
            resources = {"warehouse": warehouse, "lastfm": LastfmResource(base_url=f"{sandbox.url}/lastfm", data_dir=data_dir),
                         "spotify": SpotifyResource(api_base=sandbox.url, accounts_base=sandbox.url, data_dir=data_dir,
                                                    clock=clock, budget_per_day=BUDGET_PER_DAY, backoff_s=0.01)}
            with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
                result = recently_played_poller(context)
            if isinstance(result, dg.SensorResult):
                cursor = result.cursor or cursor
                for run in result.run_requests or []:
                    outcome = dg.materialize(LISTENING_PLAY_ASSETS, selection=run.asset_selection, partition_key=run.partition_key,
                                             instance=instance, resources=resources)
                    if not outcome.success:
                        raise RuntimeError("a poll run failed")
            due = due_at(recent_polls(warehouse, [USER])[USER], bounds(BUDGET_PER_DAY, 1))
            step = max(SENSOR_TICK_S, due - clock.time())
            requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance_s": step}, timeout=5).raise_for_status()
            offset += step
        stats = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
        polls = warehouse.query("select polled_at, plays, since_previous_s, full_page from raw.recently_played_polls "
                                "order by polled_at").rows()
        last_poll_ms = epoch_ms(polls[-1][0].isoformat() + "Z")
        made = [epoch_ms(p.played_at) for p in library.plays[USER] if epoch_ms(p.played_at) <= last_poll_ms]
        captured = warehouse.query("select count(*) from raw.recently_played").item()
        return Week(days, len(made), captured, stats.get(ROUTE, 0), polls, bounds(BUDGET_PER_DAY, 1).polls_per_day(),
                    busiest(made, MAX_INTERVAL_S * 1000))


def busiest(times_ms: list[int], span_ms: float) -> int:
    """The most of the (sorted) times within any `span_ms`."""
    return max((bisect.bisect_right(times_ms, t + span_ms) - n for n, t in enumerate(times_ms)), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the heavy listener who skips half only")
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    listeners = LISTENERS[-1:] if args.quick else LISTENERS
    print(f"A simulated week of listening polled by the recently-played sensor ({args.days} days, one user, budget "
          f"{BUDGET_PER_DAY}/day; Spotify keeps the last 50 plays). Counted at the sandbox.\n")
    print(f"{'plays/day':>9} {'skipped':>7} {'busiest 90 min':>14} {'made':>5} {'captured':>8} {'lost':>4} {'requests':>8} "
          f"{'requests/day':>12} {'promised max/day':>16} {'quiet/day':>9} {'early polls':>11} {'full pages':>10}")
    for rate, skips in listeners:
        week = simulate(args.days, rate, skips)
        full = sum(1 for *_, full_page in week.polls[1:] if full_page)
        quiet = math.ceil(86400 / bounds(BUDGET_PER_DAY, 1).longest_s)
        print(f"{rate:>9.0f} {skips:>7.0%} {week.busiest:>14} {week.made:>5} {week.captured:>8} "
              f"{week.made - week.captured:>4} {week.requests:>8} {week.requests_per_day:>12.1f} "
              f"{week.promised_per_day:>16} {quiet:>9} {week.early_polls():>11} {full:>10}", flush=True)
    print("\nbusiest 90 min = the most plays made in any 90 minutes (the longest wait between polls; Spotify keeps 50)")
    print("plays captured / plays made = captured / made; requests/day = recently-played requests the sandbox answered")
    print("per simulated day; promised max/day = ceil(86400 / shortest interval) of the poll schedule, quiet/day what a")
    print("listener who plays nothing costs; early polls = polls sooner than the schedule allowed (0: none).")


if __name__ == "__main__":
    main()
