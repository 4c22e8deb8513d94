"""The sandbox in process, users logged in, a warehouse, a Dagster instance and mixtape's sensors over the
real Spotify assets, with a clock the tests can move (the resource's and the sandbox's together)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pytest
import requests

from assets.ops.budget import budget_left, spotify_budget_asset
from assets.partitions import spotify_users
from assets.spotify import SPOTIFY_ASSETS, SPOTIFY_CHECKS
from pipelines.commands.login import login
from pipelines.schedules import SCHEDULES
from pipelines.sensors import SENSORS
from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse
from tests.clocked import MovableClock, movable_clock
from tests.sandbox_env import point_at_sandbox

HOUR = 3600.0


@dataclass
class Tick:
    """What a sensor evaluation returned, whichever form it took."""

    run_requests: list[dg.RunRequest]
    skip_message: str | None
    cursor: str | None
    dynamic_partitions_requests: list
    asset_events: list

    @classmethod
    def of(cls, result, cursor: str | None) -> "Tick":
        if isinstance(result, dg.SkipReason):
            return cls([], result.skip_message, cursor, [], [])
        skip = result.skip_reason.skip_message if result.skip_reason else None
        return cls(list(result.run_requests or []), skip, result.cursor if result.cursor is not None else cursor,
                   list(result.dynamic_partitions_requests or []), list(result.asset_events or []))


@dataclass
class World:
    sandbox: RunningSandbox
    warehouse: Warehouse
    data_dir: str
    instance: dg.DagsterInstance
    clock: MovableClock
    budget_per_day: int | None = None

    def spotify(self) -> SpotifyResource:
        """The Spotify resource on the sandbox and the test clock (to pass to Dagster or call directly)."""
        return SpotifyResource(api_base=self.sandbox.url, accounts_base=self.sandbox.url, data_dir=self.data_dir,
                               clock=self.clock, budget_per_day=self.budget_per_day, backoff_s=0.01)

    def resources(self) -> dict:
        return {"spotify": self.spotify(), "warehouse": self.warehouse}

    def defs(self) -> dg.Definitions:
        return dg.Definitions(assets=[*SPOTIFY_ASSETS, spotify_budget_asset],
                              asset_checks=[*SPOTIFY_CHECKS, budget_left],
                              sensors=SENSORS, schedules=SCHEDULES, resources=self.resources())

    def login(self, user: str) -> None:
        """`user` signs in at the sandbox and approves mixtape."""
        requests.post(f"{self.sandbox.url}/_sandbox/session", json={"user": user}, timeout=5).raise_for_status()
        login(Settings.from_env(), user, open_browser=False, timeout_s=5, say=lambda *_: None)

    def tick(self, sensor: dg.SensorDefinition, cursor: str | None = None) -> "Tick":
        """One evaluation of a sensor (the daemon would then apply its partition requests and runs)."""
        with dg.build_sensor_context(instance=self.instance, cursor=cursor, definitions=self.defs(),
                                     resources=self.resources()) as context:  # the clock is a nested resource
            return Tick.of(sensor(context), cursor)

    def execute(self, run_request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """The run a run request asks for, in process."""
        return dg.materialize([*SPOTIFY_ASSETS], selection=run_request.asset_selection,
                              partition_key=run_request.partition_key, instance=self.instance,
                              resources=self.resources(), tags=run_request.tags,
                              run_config=run_request.run_config or {})

    def sync(self, user: str) -> None:
        self.instance.add_dynamic_partitions(spotify_users.name, [user])
        assert self.execute(dg.RunRequest(partition_key=user)).success

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)  # the sandbox's clock with it

    def sandbox_library(self) -> dict:
        return requests.get(f"{self.sandbox.url}/_sandbox/library", timeout=30).json()

    def stats(self) -> dict[str, int]:
        counts = requests.get(f"{self.sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]
        return {route: n for route, n in counts.items() if " /v1/" in route and n}


@pytest.fixture
def world(tmp_path, monkeypatch):
    library = generate_library(seed=11, users=["alice", "bob"], liked=80, playlists=3, big_playlist=40)
    running = start_sandbox(library)
    data_dir = point_at_sandbox(running, tmp_path, monkeypatch)
    with dg.instance_for_test() as instance:
        yield World(running, Warehouse(storage="duckdb", data_dir=data_dir), data_dir, instance,
                    movable_clock(running.url, waits=True))
    running.stop()
