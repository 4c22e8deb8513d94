"""Ingestion end to end: the sandbox in process, a logged-in user, the warehouse in either storage mode,
and `dg.materialize` of the Spotify assets and checks with real resources."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import dagster as dg
import pytest
import requests

from assets.spotify import SPOTIFY_ASSETS, SPOTIFY_CHECKS
from pipelines.commands.login import login
from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library
from sandbox.library import Library
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse
from tests.clocked import MovableClock, movable_clock
from tests.sandbox_env import point_at_sandbox

DAY = 86400.0
# Routes of the user's listening (top items, recently played), which the ingest job reads too.
LISTENING = ("GET /v1/me/top/", "GET /v1/me/player/")


def small_library(seed: int = 3, liked: int = 260, playlists: int = 8) -> Library:
    """alice (and bob, who shares playlists with her) with every awkward playlist item kind."""
    return generate_library(seed=seed, users=["alice", "bob"], liked=liked, playlists=playlists, big_playlist=120)


@dataclass
class Ingest:
    """One user's sandbox, warehouse and Dagster instance; `run()` materializes the Spotify assets."""

    sandbox: RunningSandbox
    warehouse: Warehouse
    data_dir: str
    clock: MovableClock
    budget_per_day: int | None = None
    user: str = "alice"
    instance: dg.DagsterInstance = field(default_factory=dg.DagsterInstance.ephemeral)

    def resources(self) -> dict:
        spotify = SpotifyResource(api_base=self.sandbox.url, accounts_base=self.sandbox.url, data_dir=self.data_dir,
                                  clock=self.clock, budget_per_day=self.budget_per_day, backoff_s=0.01)
        return {"warehouse": self.warehouse, "spotify": spotify}

    def run(self, run_config: dict | None = None, user: str | None = None) -> dg.ExecuteInProcessResult:
        user = user or self.user
        self.instance.add_dynamic_partitions("spotify_users", [user])
        return dg.materialize([*SPOTIFY_ASSETS, *SPOTIFY_CHECKS], partition_key=user, instance=self.instance,
                              resources=self.resources(), run_config=run_config or {})

    # -- the sandbox -----------------------------------------------------------------------------

    def api_requests(self) -> dict[str, int]:
        """The library sync's Web API requests since the last reset, by route (token requests are not API
        requests; the listening reads an ingest run also makes are counted by tests/listening)."""
        counts = requests.get(f"{self.sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
        return {route: n for route, n in counts.items() if " /v1/" in route and n and not route.startswith(LISTENING)}

    def spent(self) -> int:
        return sum(self.api_requests().values())

    def reset(self) -> None:
        requests.post(f"{self.sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()

    def library(self) -> dict:
        return requests.get(f"{self.sandbox.url}/_sandbox/library", timeout=30).json()

    def load(self, library: dict) -> None:
        requests.post(f"{self.sandbox.url}/_sandbox/library", json=library, timeout=30).raise_for_status()

    def next_day(self) -> None:
        self.clock.advance(DAY)  # the sandbox's clock with it

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        return self.warehouse.query(query, params).rows()


def pages(n: int) -> int:
    return math.ceil(n / 50)


def expected_cold_requests(library: dict, user: str) -> int:
    """ceil(liked/50) + ceil(playlists/50) + Σ ceil(items/50) over playlists the user owns or collaborates on."""
    mine = [p for p in library["playlists"] if user in [p["owner"], *p["collaborators"], *p["followers"]]]
    readable = [p for p in mine if p["owner"] == user or user in p["collaborators"]]
    return pages(len(library["liked"].get(user, []))) + pages(len(mine)) + sum(pages(len(p["items"])) for p in readable)


@pytest.fixture(params=["duckdb", "s3"])
def storage(request, tmp_path) -> Warehouse:
    if request.param == "duckdb":
        return Warehouse(storage="duckdb", data_dir=str(tmp_path / "data"))
    endpoint = request.getfixturevalue("moto_endpoint")
    return Warehouse(storage=request.getfixturevalue("s3_bucket"), data_dir=str(tmp_path / "data"), s3_endpoint_url=endpoint)


def start(library: Library, tmp_path, monkeypatch, warehouse: Warehouse, **sandbox_options) -> Ingest:
    """A sandbox serving `library`, alice logged in (token in the data dir), counters at zero."""
    running = start_sandbox(library, **sandbox_options)
    data_dir = point_at_sandbox(running, tmp_path, monkeypatch)
    login(Settings.from_env(), "alice", open_browser=False, timeout_s=5, say=lambda *_: None)
    ingest = Ingest(running, warehouse, data_dir, movable_clock(running.url, waits=True),
                    budget_per_day=sandbox_options.get("quota_per_day"))
    ingest.reset()
    return ingest


@pytest.fixture
def ingest(storage, tmp_path, monkeypatch):
    running = start(small_library(), tmp_path, monkeypatch, storage)
    yield running
    running.sandbox.stop()
