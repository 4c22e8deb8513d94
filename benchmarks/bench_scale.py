"""Beyond five users: 50 users of an extended-access app on a Parquet warehouse, synced 30 times.

    python -m benchmarks.bench_scale [--quick]

The sandbox runs the `extended` profile (no five-user cap) with 50 users (--quick: 2), each with a small
library. Every round syncs every user: the ingest and rules stages' per-user assets (`dg.materialize`,
the real assets and resources, a local Parquet folder as the warehouse, no daily budget so no run is
stopped), one user per worker process, the round's workers being the run slots; then the rules'
shared asset (name keys) once. Between rounds each user likes one more song, and every file in the lake is
made an hour older: the rounds stand for hourly syncs, and the warehouse deletes a superseded file by its
age, once no reader can still be reading it (`_IN_FLIGHT`; a user's run sweeps all of that user's folders
as it starts, `Warehouse.sweep`). Round 0 is the cold sync,
rounds 1..30 (--quick: 1..10) are incremental; the first incremental rounds are run with 1, 2 and 4 slots
(--quick: 1 and 2) to give runs per hour, the rest with the most slots.

Printed: runs per hour by slots (a run = one stage for one user); Spotify requests per user per
incremental sync, counted at the sandbox, and per day at one sync an hour against the fair share of
the day's budget (`SpotifyResource.budget_per_day` over the users), with the syncs a day that share pays
for; Parquet files per user-table (mean, max) and the query time of `track_features` (one user, all users;
best of 15, each a connection as a run opens it, listing the files, and the select) after round 0 and
after the last round, with their ratio. The rows are checked: every user's liked songs are the
sandbox's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from collections import Counter

USERS, QUICK_USERS = 50, 2
SYNCS, QUICK_SYNCS = 30, 10
SLOTS, QUICK_SLOTS = [1, 2, 4], [1, 2]
LIKED, PLAYLISTS = 40, 3
RULES = "defaults:\n  - name: Every like\n    source: liked\n"
SYNCS_PER_DAY = 24

_worker: dict = {}


def per_user_keys(stage: str) -> list:
    from pipelines.jobs import jobs_of

    return [key for job in jobs_of(stage) if job.per_user for key in job.keys]


def all_assets() -> list:
    from assets import enrichment, listening, marts, ops, playlists, report, spotify

    return [a for d in (spotify.defs, listening.defs, enrichment.defs, playlists.defs, marts.defs, report.defs, ops.defs)
            for a in d.assets or []]


def resources(url: str, workdir: str) -> dict:
    from pipelines.resources import resources_from_env
    from resources.spotify import SpotifyResource

    spotify = SpotifyResource(api_base=url, accounts_base=url, data_dir=f"{workdir}/data", budget_per_day=None)
    return {**resources_from_env(), "spotify": spotify}


def start_worker(url: str, workdir: str, users: list[str]) -> None:
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    _worker.update(instance=instance, assets=all_assets(), resources=resources(url, workdir),
                   keys=[*per_user_keys("ingest"), *per_user_keys("rules")])


def sync(user: str) -> str | None:
    """One user's ingest and rules runs, in this worker process; what failed, if any did."""
    import dagster as dg

    from resources.warehouse import runs_in_process

    with runs_in_process():
        for stage in ("ingest", "rules"):
            result = dg.materialize(_worker["assets"], selection=per_user_keys(stage), partition_key=user,
                                    instance=_worker["instance"], resources=_worker["resources"], raise_on_error=False)
            if not result.success:
                return f"{stage} of {user}: " + "; ".join(str(e.event_specific_data.error.message).strip()
                                                         for e in result.get_step_failure_events())
    return None


def run_shared(url: str, workdir: str) -> None:
    import dagster as dg

    from pipelines.jobs import jobs_of

    keys = [key for job in jobs_of("rules") if not job.per_user for key in job.keys]
    assert dg.materialize(all_assets(), selection=keys, resources=resources(url, workdir)).success


def like_one_more(url: str) -> None:
    """Every user likes one song of the catalog they had not liked."""
    import requests

    library = requests.get(f"{url}/_sandbox/library", timeout=60).json()
    catalog = [t["id"] for t in library["tracks"]]
    for user, liked in library["liked"].items():
        held = {s["track_id"] for s in liked}
        fresh = next(t for t in catalog if t not in held)
        liked.append({"track_id": fresh, "added_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    requests.post(f"{url}/_sandbox/library", json=library, timeout=60).raise_for_status()


def age_lake(lake: str, seconds: float) -> None:
    """Move every file's modification time `seconds` back, as if the next round came that much later."""
    for folder, _, names in os.walk(lake):
        for name in names:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def spotify_requests(url: str) -> int:
    import requests

    counts = requests.get(f"{url}/_sandbox/stats", timeout=5).json()["requests"]
    requests.post(f"{url}/_sandbox/reset", timeout=5)
    return sum(n for route, n in counts.items() if " /v1/" in route)


def files_per_user_table(lake: str) -> list[tuple[int, int]]:
    """(live, stored) Parquet files of every user's partition of every table: live ones are what readers
    read; stored ones also hold those superseded less than `_IN_FLIGHT` ago, kept for readers in flight."""
    from resources.warehouse import live_files

    counts = []
    for folder, _, names in os.walk(lake):
        files = [name for name in names if name.endswith(".parquet")]
        if "/user_id=" in folder and files:
            counts.append((len(live_files(files)), len(files)))
    return counts


def query_seconds(workdir: str, users: list[str]) -> tuple[float, float]:
    """Seconds of a typical select of track_features, over one user and over all users: the best of 15,
    as timeit takes it (the machine is shared: slower repetitions measure the other work)."""
    from pipelines.resources import initialized

    warehouse = initialized("warehouse")
    one = "select count(*), avg(popularity), max(liked_at) from track_features where user_id = ?"
    every = "select user_id, count(*), avg(popularity) from track_features group by user_id"

    def best(sql: str, params: list | None) -> float:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            warehouse.query(sql, params)
            times.append(time.perf_counter() - started)
        return min(times)

    return best(one, [users[0]]), best(every, None)


def liked_rows_right(url: str, workdir: str) -> bool:
    import requests

    from pipelines.resources import initialized

    library = requests.get(f"{url}/_sandbox/library", timeout=60).json()
    stored = initialized("warehouse").query(
        "select user_id, count(*) as n from raw.liked_songs where unliked_at is null group by user_id")
    return dict(stored.rows()) == {user: len(liked) for user, liked in library["liked"].items()}


def measure(users_count: int, syncs: int, slots: list[int]) -> dict:
    from pipelines.commands.login import login
    from resources.settings import Settings
    from sandbox import start_sandbox
    from sandbox.generator import generate_library

    workdir = tempfile.mkdtemp(prefix="bench_scale_")
    library = generate_library(seed=19, users=users_count, liked=LIKED, playlists=PLAYLISTS, profile="extended")
    users = [u.id for u in library.users if u.id != "spotify"]
    sandbox = start_sandbox(library)
    with open(f"{workdir}/rules.yaml", "w") as rules:
        rules.write(RULES)
    os.environ.update(sandbox.base_urls, MIXTAPE_DATA_DIR=f"{workdir}/data", MIXTAPE_STORAGE=f"{workdir}/lake",
                      MIXTAPE_RULES=f"{workdir}/rules.yaml")
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    for user in users:
        login(Settings.from_env(), user, open_browser=False, timeout_s=5, say=lambda *_: None)
    context = multiprocessing.get_context("fork")  # before this process opens the warehouse
    pools = {n: context.Pool(n, start_worker, (sandbox.url, workdir, users)) for n in slots}

    def round_(n: int) -> tuple[float, int]:
        started = time.perf_counter()
        failed = [cause for cause in pools[n].map(sync, users, chunksize=1) if cause]
        assert not failed, failed
        wall = time.perf_counter() - started
        run_shared(sandbox.url, workdir)
        return wall, spotify_requests(sandbox.url)

    spotify_requests(sandbox.url)
    round_(max(slots))
    result = {"users": len(users), "syncs": syncs, "files_first": files_per_user_table(f"{workdir}/lake"),
              "query_first": query_seconds(workdir, users), "runs_per_hour": {}, "requests": []}
    for index in range(syncs):
        like_one_more(sandbox.url)
        age_lake(f"{workdir}/lake", 86400 / SYNCS_PER_DAY)
        n = slots[index] if index < len(slots) else max(slots)
        wall, spent = round_(n)
        result["requests"].append(spent / len(users))
        if index < len(slots):
            result["runs_per_hour"][n] = 2 * len(users) / wall * 3600
    result.update(files_last=files_per_user_table(f"{workdir}/lake"), query_last=query_seconds(workdir, users),
                  rows_right=liked_rows_right(sandbox.url, workdir))
    for pool in pools.values():
        pool.close()
    sandbox.stop()
    return result


def report(r: dict) -> None:
    from resources.spotify import SpotifyResource
    from resources.warehouse import COMPACT_ABOVE

    budget = SpotifyResource.model_fields["budget_per_day"].default
    print(f"{r['users']} users (sandbox, extended profile, {LIKED} liked songs and {PLAYLISTS} playlists generated "
          f"each, one like more a round), Parquet in a local folder, ingest + rules per user; "
          f"{r['syncs']} incremental syncs after the cold one, an hour apart (the lake's files aged an hour a round)\n")
    print(f"{'run slots':>9} {'runs per hour':>14}")
    for n, rate in r["runs_per_hour"].items():
        print(f"{n:>9} {rate:>14,.0f}")
    per_sync = statistics.mean(r["requests"])
    share = budget / r["users"]
    print(f"\nSpotify requests per user per incremental sync: {per_sync:.1f} (min {min(r['requests']):.1f}, "
          f"max {max(r['requests']):.1f}); at {SYNCS_PER_DAY} syncs a day {per_sync * SYNCS_PER_DAY:.0f} a user a day, "
          f"against the day's budget of {budget} over {r['users']} users: {share:.0f} each, "
          f"{'enough' if share >= per_sync * SYNCS_PER_DAY else 'too few'} (the share pays for "
          f"{share / per_sync:.0f} such syncs a day, one every {24 * per_sync / share:.1f} h)")
    print(f"\n{'after':<12} {'live files/user-table':>21} {'max':>4} {'stored':>7} {'max':>4} "
          f"{'track_features one user ms':>27} {'all users ms':>13}")
    for label, files, (one, every) in (("cold sync", r["files_first"], r["query_first"]),
                                       (f"{r['syncs']} syncs", r["files_last"], r["query_last"])):
        live, stored = zip(*files)
        print(f"{label:<12} {statistics.mean(live):>21.2f} {max(live):>4} {statistics.mean(stored):>7.2f} {max(stored):>4} "
              f"{one * 1000:>27.1f} {every * 1000:>13.1f}")
    ratio_one, ratio_every = (r["query_last"][i] / r["query_first"][i] for i in range(2))
    print(f"{'ratio':<12} {'':>21} {'':>4} {'':>7} {'':>4} {ratio_one:>27.2f} {ratio_every:>13.2f}")
    print(f"\ncompaction bound: {COMPACT_ABOVE} live files per user-table; stored = live + those superseded too "
          f"recently to delete (a reader may be reading them); liked songs equal the sandbox's: {r['rows_right']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_USERS} users, {QUICK_SYNCS} syncs")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the figures as JSON too (tests)
    args = parser.parse_args()
    result = (measure(QUICK_USERS, QUICK_SYNCS, QUICK_SLOTS) if args.quick else measure(USERS, SYNCS, SLOTS))
    report(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
