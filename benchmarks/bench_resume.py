"""A cold sync larger than the daily quota: days to complete and wasted requests.

    python -m benchmarks.bench_resume [--quick]

For libraries of 10k, 50k and 100k liked songs (--quick: 10k) with 50 playlists and daily budgets of
300, 1,000 and 3,000 requests, one run a day until the library is complete. The runs use mixtape's
own planning code (`assets/spotify/sync_plan.py`: the liked-songs prefix cursor, playlist cursors)
over an in-memory Spotify that serves pages of 50 and counts requests; the Dagster assets spend
exactly these requests against the sandbox (tests/ingest/test_resume.py checks it on 20k songs).

wasted = requests beyond the cold-sync minimum of the final library: the head checks of each
resumption, and with churn (new likes and unlikes between days) the probes that locate removals.
A naive sync that restarts from zero each day never finishes once the minimum exceeds the budget.
"""

import argparse
import math
from datetime import datetime, timedelta

from assets.spotify.sync_plan import (
    PAGE, ItemsCursor, Page, PlaylistListing, Saved, cold_sync_minimum, pages, plan_playlists, sync_liked,
)

SIZES, QUICK_SIZES = [10_000, 50_000, 100_000], [10_000]
BUDGETS = [300, 1_000, 3_000]
USER = "alice"
T0 = datetime(2026, 1, 1)


def playlist_sizes(liked: int) -> list[int]:
    """50 playlists: one big (a tenth of the library, at most 5,000), the rest 20 to 220 items; 10 followed."""
    return [min(5_000, liked // 10)] + [20 + (i * 37) % 200 for i in range(49)]


class Spotify:
    """Liked Songs and playlists in memory, newest like first; counts every request."""

    def __init__(self, liked: int):
        self.clock = 0
        self.liked: list[Saved] = []
        self.like(liked)
        self.playlists = {f"p{i}": n for i, n in enumerate(playlist_sizes(liked))}
        self.readable = {p for i, p in enumerate(self.playlists) if i < 40}
        self.requests = 0

    def like(self, n: int) -> None:
        fresh = [Saved(f"t{self.clock + i}", T0 + timedelta(seconds=self.clock + i)) for i in range(1, n + 1)]
        self.clock += n
        self.liked = fresh[::-1] + self.liked

    def unlike(self, positions: list[int]) -> None:
        gone = {self.liked[p % len(self.liked)] for p in positions}
        self.liked = [s for s in self.liked if s not in gone]

    def saved_page(self, offset: int) -> Page:
        self.requests += 1
        return Page(offset, self.liked[offset:offset + PAGE], len(self.liked))

    def listings(self) -> list[PlaylistListing]:
        return [PlaylistListing(p, "s1", USER if p in self.readable else "someone", False, n) for p, n in self.playlists.items()]

    def minimum(self) -> int:
        return cold_sync_minimum(len(self.liked), len(self.playlists), [self.playlists[p] for p in self.readable])


class Mixtape:
    """What the assets keep between runs: the liked prefix and total, playlist cursors and snapshots."""

    def __init__(self):
        self.prefix: list[Saved] = []
        self.total = 0
        self.listed = False
        self.read_snapshots: dict[str, str] = {}
        self.cursors: dict[str, ItemsCursor] = {}

    def complete(self, spotify: Spotify) -> bool:
        return len(self.prefix) >= self.total and self.listed and all(p in self.read_snapshots for p in spotify.readable)

    def run_day(self, spotify: Spotify, budget: int) -> None:
        """One day's run: liked songs, then the listing, then playlist items, until the budget is spent."""
        start = spotify.requests
        liked = sync_liked(self.prefix, self.total, spotify.saved_page, allowance=budget)
        if liked.total is not None:
            self.prefix, self.total = liked.prefix, liked.total
        left = budget - (spotify.requests - start)
        listing = pages(len(spotify.playlists))
        if left < listing:
            return
        spotify.requests += listing
        left -= listing
        self.listed = True
        plan = plan_playlists(USER, spotify.listings(), self.read_snapshots, self.cursors)
        for read in plan.reads:
            needed = read.requests
            done = min(needed, left)
            spotify.requests += done
            left -= done
            if done == needed:
                self.read_snapshots[read.playlist_id] = read.snapshot_id
                self.cursors.pop(read.playlist_id, None)
            else:
                self.cursors[read.playlist_id] = ItemsCursor(read.playlist_id, read.snapshot_id, read.offset + done * PAGE)
                return


def simulate(size: int, budget: int, churn: tuple[int, int] = (0, 0)) -> tuple[int, int, int]:
    """Days to complete, requests spent and the final library's minimum."""
    spotify, mixtape = Spotify(size), Mixtape()
    for day in range(1, 10_000):
        mixtape.run_day(spotify, budget)
        if mixtape.complete(spotify):
            return day, spotify.requests, spotify.minimum()
        new, unliked = churn
        spotify.like(new)
        spotify.unlike([(day * 7919 + i * 104_729) for i in range(unliked)])
    raise RuntimeError("did not complete")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k songs only")
    args = parser.parse_args()
    print("Cold sync over days (50 playlists, 40 readable); wasted = requests beyond the final library's minimum\n")
    print(f"{'liked':>7} {'budget/day':>10} {'minimum':>8} {'days':>5} {'ceil(min/budget)':>16} {'requests':>8} "
          f"{'wasted':>6} {'days, churn 37+/5-':>19} {'wasted, churn':>13}")
    for size in QUICK_SIZES if args.quick else SIZES:
        for budget in BUDGETS:
            days, spent, minimum = simulate(size, budget)
            churn_days, churn_spent, churn_minimum = simulate(size, budget, churn=(37, 5))
            print(f"{size:>7} {budget:>10} {minimum:>8} {days:>5} {math.ceil(minimum / budget):>16} {spent:>8} "
                  f"{spent - minimum:>6} {churn_days:>19} {churn_spent - churn_minimum:>13}")


if __name__ == "__main__":
    main()
