"""Push cost: Spotify requests and wall time of mixtape's planned push beside wipe-and-replace.

    python -m benchmarks.bench_push [--quick]

For playlists of 100, 1,000 and 10,000 tracks (--quick: 100 and 1,000) and five changes (none,
10 appended up to that size, 10 removed, a block of 10 moved, every track replaced), against the
sandbox through the real Spotify resource:

- mixtape: the steady state. The playlist is managed and untouched since the last push, so the push
  reads its snapshot (one request) and plans from the tracklist it last pushed, then writes the plan.
- mixtape cold: the playlist's items are read first (50 per request), as after someone else's edit.
- wipe-and-replace: the naive push, PUT the first 100 then POST the rest, whatever changed.

Also the pure planner's counts: its strategy, its write requests, and the planning time.
"""

import argparse
import json
import os
import tempfile
import time

from assets.playlists import sync_events as events
from assets.playlists.plan import Item, PlanOptions, plan_push, replace_steps
from assets.playlists.push import (PushPolicy, marker_of, push_child, push_part, read_items, send, tracklist_hash,
                                   utcnow)
from pipelines.commands.login import login
from sandbox import start_sandbox
from sandbox.library import Album, Artist, Library, Playlist, Track, User
from resources.settings import Settings
from resources.spotify import SpotifyResource

SIZES, QUICK_SIZES = [100, 1_000, 10_000], [100, 1_000]
USER = "alice"


def uri(i: int) -> str:
    return f"spotify:track:t{i}"


def library(tracks: int) -> Library:
    return Library(
        profile="devmode",
        users=[User(id=USER, display_name="Alice")],
        artists=[Artist(id="ar0", name="Artist")],
        albums=[Album(id="al0", name="Album", release_date="2001-01-01", artist_ids=["ar0"])],
        tracks=[Track(id=f"t{i}", name=f"Track {i}", album_id="al0", artist_ids=["ar0"], duration_ms=200_000)
                for i in range(tracks)],
        playlists=[Playlist(id="bench", name="Bench", owner=USER)],
    )


def scenarios(size: int) -> dict[str, tuple[list[str], list[str]]]:
    """Change name -> (playlist now, target); +10 grows to `size`, so 10,000 stays within Spotify's limit."""
    base = [uri(i) for i in range(size)]
    middle = size // 2
    return {
        "no change": (base, base),
        "+10": (base[:-10], base),
        "-10": (base, [u for i, u in enumerate(base) if i % (size // 10) != 1]),
        "reorder": (base, base[10:middle] + base[:10] + base[middle:]),
        "full change": (base, [uri(size + i) for i in range(size)]),
    }


def fill(spotify: SpotifyResource, uris: list[str]) -> None:
    for step in replace_steps(uris):
        send(spotify, USER, "bench", step)


def measure(running, action) -> tuple[int, int, float]:
    """(read requests, write requests, seconds) of one action against the sandbox."""
    running.sandbox.reset_stats()
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    requests = running.sandbox.stats()["requests"]
    writes = sum(n for route, n in requests.items() if route.split()[0] in ("POST", "PUT", "DELETE"))
    return sum(requests.values()) - writes, writes, seconds


def managed_row(spotify: SpotifyResource, before: list[str]) -> dict[int, dict]:
    """The managed row a previous push of `before` left."""
    snapshot = spotify.playlist(USER, "bench", fields="snapshot_id")["snapshot_id"]
    return {1: {"user_id": USER, "child_playlist": "Bench", "child_id": "Bench", "part": 1, "playlist_id": "bench",
                "name": "Bench", "marker": marker_of(USER, "Bench"),
                "created_at": None, "rule_hash": "r", "tracklist_hash": tracklist_hash(before),
                "tracklist": json.dumps(before), "snapshot_id": snapshot, "pushed_at": None}}


def steady_push(spotify: SpotifyResource, known: dict[int, dict], target: list[str]) -> None:
    """push_child as the asset runs it."""
    event = events.start_event(USER, "Bench", utcnow())
    result = push_child(spotify, USER, "Bench", target, known, PushPolicy(rule_changed=True), "r", "split", event,
                        log=lambda _: None)
    assert result.event["status"] in (events.COMPLETED, events.SKIPPED), result.event["error_message"]


def bench(size: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as data_dir, start_sandbox(library(2 * size + 10)) as running:
        os.environ.update({"SPOTIFY_API_BASE": running.url, "SPOTIFY_ACCOUNTS_BASE": running.url,
                           "MIXTAPE_DATA_DIR": data_dir})
        login(Settings.from_env(), user=USER, say=lambda _: None)
        spotify = SpotifyResource(api_base=running.url, accounts_base=running.url, data_dir=data_dir,
                                  budget_per_day=None, run_id="bench")
        for change, (before, target) in scenarios(size).items():
            started = time.perf_counter()
            plan = plan_push([Item(u) for u in before], target, PlanOptions())
            plan_s = time.perf_counter() - started
            row = {"size": size, "change": change, "strategy": plan.strategy, "planned": plan.requests,
                   "plan_ms": plan_s * 1000}
            fill(spotify, before)
            known = managed_row(spotify, before)
            row["steady"] = measure(running, lambda: steady_push(spotify, known, target))
            assert [i.uri for i in read_items(spotify, USER, "bench")] == target
            fill(spotify, before)
            row["cold"] = measure(running, lambda: push_part(spotify, USER, "bench", target,
                                                             PushPolicy(rule_changed=True), log=lambda _: None))
            fill(spotify, before)
            row["wipe"] = measure(running, lambda: fill(spotify, target))
            rows.append(row)
    return rows


def print_table(rows: list[dict]) -> None:
    header = (f"{'tracks':>6} {'change':<11} {'plan':<7} {'writes':>6} {'plan ms':>7} | "
              f"{'mixtape req':>11} {'(r+w)':>9} {'s':>6} | {'cold req':>8} {'(r+w)':>9} {'s':>6} | "
              f"{'wipe req':>8} {'s':>6} | {'req saved':>9} {'writes saved':>12}")
    print(header)
    print("-" * len(header))
    for r in rows:
        (sr, sw, ss), (cr, cw, cs), (wr, ww, ws) = r["steady"], r["cold"], r["wipe"]
        wipe = wr + ww
        print(f"{r['size']:>6} {r['change']:<11} {r['strategy']:<7} {r['planned']:>6} {r['plan_ms']:>7.1f} | "
              f"{sr + sw:>11} {f'{sr}+{sw}':>9} {ss:>6.2f} | {cr + cw:>8} {f'{cr}+{cw}':>9} {cs:>6.2f} | "
              f"{wipe:>8} {ws:>6.2f} | {wipe - sr - sw:>9} {ww - sw:>12}")
    print()
    print("writes: the planner's write requests. mixtape: snapshot read + plan from the last pushed tracklist;")
    print("cold: full item read (50 per request) + writes. wipe: PUT 100 + POST the rest, every time.")
    print("saved: wipe-and-replace minus mixtape (steady). Seconds are wall time on the local sandbox.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 tracks only")
    args = parser.parse_args()
    rows = []
    for size in QUICK_SIZES if args.quick else SIZES:
        rows += bench(size)
        print(f"... {size} tracks done", flush=True)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
