"""A listening user's world for the plays tests: the sandbox in process with plays in its library, alice
logged in, a DuckDB warehouse, a Dagster instance and a movable clock that moves the sandbox's too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import requests

from assets.listening.plays import LISTENING_PLAY_ASSETS, imports_dir
from pipelines.commands.login import login
from resources.lastfm import LastfmResource
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse
from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library
from sandbox.library import Library
from sandbox.plays import write_export
from tests.clocked import MovableClock, movable_clock
from tests.sandbox_env import point_at_sandbox


def listening_library() -> Library:
    return generate_library(seed=7, users=["alice", "bob"], liked=150, playlists=3, big_playlist=30)


@dataclass
class Listening:
    sandbox: RunningSandbox
    warehouse: Warehouse
    clock: MovableClock
    lastfm_users: str | None = None
    budget_per_day: int | None = 900
    user: str = "alice"
    instance: dg.DagsterInstance = field(default_factory=dg.DagsterInstance.ephemeral)

    @property
    def library(self) -> Library:
        return self.sandbox.world.library

    def resources(self) -> dict:
        spotify = SpotifyResource(api_base=self.sandbox.url, accounts_base=self.sandbox.url, data_dir=self.warehouse.data_dir,
                                  clock=self.clock, budget_per_day=self.budget_per_day, backoff_s=0.01)
        lastfm = LastfmResource(base_url=self.sandbox.base_urls["LASTFM_API_BASE"], data_dir=self.warehouse.data_dir,
                                clock=self.clock, usernames=self.lastfm_users)
        return {"warehouse": self.warehouse, "spotify": spotify, "lastfm": lastfm}

    def run(self, selection: list[dg.AssetKey] | None = None) -> dg.ExecuteInProcessResult:
        self.instance.add_dynamic_partitions("spotify_users", [self.user])
        result = dg.materialize(LISTENING_PLAY_ASSETS, partition_key=self.user, instance=self.instance,
                                resources=self.resources(), selection=selection)
        assert result.success
        return result

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.sandbox.world.clock.now(), UTC).replace(tzinfo=None)

    def set_plays(self, plays: list) -> None:
        """Replace the user's plays in the sandbox's library."""
        library = self.library.model_copy(deep=True)
        library.plays = {**library.plays, self.user: plays}
        requests.post(f"{self.sandbox.url}/_sandbox/library", json=library.model_dump(mode="json"), timeout=30).raise_for_status()

    def drop_export(self, library: Library | None = None, **options) -> list[Path]:
        """Write the user's export of the library's plays into their imports folder, as a user would drop it."""
        return write_export(library or self.library, self.user, imports_dir(self.warehouse.data_dir, self.user), **options)

    def spotify_requests(self, route: str = "GET /v1/me/player/recently-played") -> int:
        return requests.get(f"{self.sandbox.url}/_sandbox/stats", timeout=5).json()["requests"].get(route, 0)

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        return self.warehouse.query(query, params).rows()


def start_listening(tmp_path, monkeypatch, library: Library | None = None, **options) -> Listening:
    running = start_sandbox(library or listening_library())
    data_dir = point_at_sandbox(running, tmp_path, monkeypatch)
    login(Settings.from_env(), "alice", open_browser=False, timeout_s=5, say=lambda *_: None)
    return Listening(running, Warehouse(storage="duckdb", data_dir=data_dir), movable_clock(running.url), **options)


@pytest.fixture
def world(tmp_path, monkeypatch):
    listening = start_listening(tmp_path, monkeypatch)
    yield listening
    listening.sandbox.stop()

