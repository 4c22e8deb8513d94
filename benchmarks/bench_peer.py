"""Seed 002's sync beside mixtape's: Spotify requests for the same library and child playlists.

    python -m benchmarks.bench_peer [--quick] [--liked N ...]

For a library of 1,000 liked songs with 10 playlists (`--liked` for larger ones), generated in the
extended access profile (batch track / artist / album endpoints available), two sandboxes serve the
same library, one to each side, and count the Web API requests:

- peer: seed 002's strategy (`peer_sync.py`): Liked Songs as the base, batch details of its tracks,
  albums and artists, each child playlist wiped and replaced; no cache, so a re-run fetches it all again
- mixtape: the real assets through `mixtape run`'s own code path (every stage that calls Spotify: ingest,
  rules, push, ingest again), with a rule file defining the same child playlists

The child playlists are filters both sides can evaluate: a decade, long songs and popular songs. Rows:
the cold first sync, and two warm re-runs with nothing changed. mixtape's warm minimum is what each of
its two library reads must ask when nothing changed: the liked-songs head page and the playlist listing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import requests

from assets.spotify.sync_plan import pages
from benchmarks.peer_sync import PeerSync
from pipelines.commands.login import login
from resources.settings import Settings
from resources.tokens import token_store
from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library

SIZES = [1_000]
PLAYLISTS = 10
USER = "alice"
RUNS = ["cold", "warm", "warm 2"]

# The same child playlists twice: as seed 002's filters, and as mixtape's rule file.
PEER_CHILDREN = {
    "Nineties": lambda t: t.release_year is not None and 1990 <= t.release_year <= 1999,
    "Long songs": lambda t: t.duration_ms > 300_000,
    "Popular": lambda t: (t.popularity or 0) >= 60,
}
RULES = """defaults:
  - name: Nineties
    source: liked
    filter: {field: decade, op: is, value: 1990}
  - name: Long songs
    source: liked
    filter: {field: duration, op: gt, value: 300}
  - name: Popular
    source: liked
    filter: {field: popularity, op: gte, value: 60}
"""


def library(liked: int):
    return generate_library(seed=11, users=[USER, "bob"], liked=liked, playlists=PLAYLISTS, profile="extended")


def api_requests(sandbox: RunningSandbox) -> tuple[int, int]:
    """(reads, writes) the sandbox answered on the Web API since its last reset."""
    counts = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
    api = {route: n for route, n in counts.items() if " /v1/" in route}
    writes = sum(n for route, n in api.items() if not route.startswith("GET "))
    return sum(api.values()) - writes, writes


def reset(sandbox: RunningSandbox) -> None:
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()


def logged_in(sandbox: RunningSandbox, workdir: str) -> str:
    """Point mixtape's settings at this sandbox, log the user in; returns the data directory."""
    data_dir = f"{workdir}/data"
    os.environ.update(SPOTIFY_API_BASE=sandbox.url, SPOTIFY_ACCOUNTS_BASE=sandbox.url, MIXTAPE_DATA_DIR=data_dir,
                      DAGSTER_HOME=f"{workdir}/dagster_home", MIXTAPE_RULES=f"{workdir}/rules.yaml")
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "SPOTIFY_REDIRECT_URI"):
        os.environ.pop(name, None)
    login(Settings.from_env(), USER, open_browser=False, timeout_s=5, say=lambda *_: None)
    return data_dir


def peer_runs(liked: int) -> tuple[list[tuple[int, int]], dict[str, int]]:
    """Seed 002's sync, cold then re-run: requests per run and the child playlists' sizes."""
    workdir = tempfile.mkdtemp(prefix="bench_peer_")
    with start_sandbox(library(liked)) as sandbox:
        data_dir = logged_in(sandbox, workdir)
        token = token_store("file", data_dir).get(USER)["access_token"]
        peer, counts, sizes = PeerSync(sandbox.url, token), [], {}
        for _ in RUNS:
            reset(sandbox)
            sizes = peer.sync(PEER_CHILDREN)
            counts.append(api_requests(sandbox))
            assert sum(counts[-1]) == peer.requests - sum(map(sum, counts[:-1]))  # the client counts as the sandbox
    return counts, sizes


def mixtape_runs(liked: int) -> tuple[list[tuple[int, int]], dict[str, int], int]:
    """`mixtape run`'s Spotify stages in this process, cold then re-run: requests per run, the child
    playlists' sizes on Spotify, and the warm minimum."""
    from pipelines.commands.run import ALL_STAGES, load_definitions, open_instance, plan, run_steps, users_to_run

    workdir = tempfile.mkdtemp(prefix="bench_peer_mixtape_")
    Path(workdir, "rules.yaml").write_text(RULES)
    stages = [s for s in ALL_STAGES if s not in ("enrich", "marts")]  # the others never call Spotify
    with start_sandbox(library(liked)) as sandbox:
        logged_in(sandbox, workdir)
        os.chdir(workdir)
        defs, counts = load_definitions(), []
        with open_instance() as instance:
            users_to_run(instance, defs, USER)
            for run in RUNS:
                reset(sandbox)
                outcomes, _ = run_steps(defs, instance, plan(stages), [USER], say=lambda *_: None)
                if not outcomes.all_ok:
                    raise RuntimeError(f"mixtape's {run} run failed:\n{outcomes.table()}")
                counts.append(api_requests(sandbox))
        world = requests.get(f"{sandbox.url}/_sandbox/library", timeout=60).json()
    mine = [p for p in world["playlists"] if p["owner"] == USER]
    sizes = {p["name"]: len(p["items"]) for p in mine if p["name"] in PEER_CHILDREN}
    listed = [p for p in world["playlists"] if USER in [p["owner"], *p["collaborators"], *p["followers"]]]
    return counts, sizes, 2 * (1 + pages(len(listed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the default size (kept for `python -m benchmarks --quick`)")
    parser.add_argument("--liked", type=int, nargs="+", default=SIZES, help="liked songs (default: 1000)")
    args = parser.parse_args()
    print(f"Spotify requests per sync, seed 002's peer beside mixtape (sandbox, extended profile, {PLAYLISTS} "
          f"playlists generated, child playlists: {', '.join(PEER_CHILDREN)})\n")
    header = (f"{'liked':>6} {'run':<7} {'peer req':>8} {'(r+w)':>9} | {'mixtape req':>11} {'(r+w)':>9} "
              f"{'minimum':>7} | {'peer/mixtape':>12}")
    print(header)
    print("-" * len(header))
    for liked in args.liked:
        peer, peer_sizes = peer_runs(liked)
        mixtape, mixtape_sizes, warm_minimum = mixtape_runs(liked)
        for run, (pr, pw), (mr, mw) in zip(RUNS, peer, mixtape):
            minimum = "" if run == "cold" else warm_minimum
            ratio = f"{(pr + pw) / (mr + mw):.1f}x" if mr + mw else "inf"
            print(f"{liked:>6} {run:<7} {pr + pw:>8} {f'{pr}+{pw}':>9} | {mr + mw:>11} {f'{mr}+{mw}':>9} "
                  f"{minimum:>7} | {ratio:>12}", flush=True)
        print(f"{'':>6} tracks per child playlist, peer / mixtape: "
              + ", ".join(f"{name} {peer_sizes[name]} / {mixtape_sizes.get(name, 0)}" for name in PEER_CHILDREN))
    print("\nr+w: reads + writes counted by each side's sandbox. peer: base pages, batch details (tracks 50,")
    print("artists 50, albums 20), then per child playlist a clear and adds of 100, every run. mixtape: its whole")
    print("library read, the push planned from what it last pushed, and the library read again;")
    print("minimum: 2 x (liked head page + listing).")


if __name__ == "__main__":
    main()
