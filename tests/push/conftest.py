"""Fixtures for pushing to the sandbox: alice with a few hundred tracks, logged in through
`mixtape login`, the real Spotify resource, and a DuckDB warehouse in a temporary directory."""

from datetime import timedelta

import pytest
import requests

from assets.playlists.push import PushConfig, push_user, utcnow
from sandbox import start_sandbox
from sandbox.library import Album, Artist, Library, Playlist, PlaylistItem, Track, User
from resources.warehouse import Warehouse
from tests.clocked import MovableClock, movable_clock
from tests.resource.conftest import make_resource, run_login

TRACKS = 400


def uri(i: int) -> str:
    return f"spotify:track:tr{i}"


def push_library(tracks: int = TRACKS) -> Library:
    """alice, `tracks` tracks, and one playlist of her own that mixtape does not manage."""
    return Library(
        profile="devmode",
        users=[User(id="alice", display_name="Alice")],
        artists=[Artist(id="ar0", name="Artist 0")],
        albums=[Album(id="al0", name="Album 0", release_date="2001-02-03", artist_ids=["ar0"])],
        tracks=[Track(id=f"tr{i}", name=f"Track {i}", album_id="al0", artist_ids=["ar0"], duration_ms=180000)
                for i in range(tracks)],
        playlists=[Playlist(id="plHers", name="Mix", owner="alice",
                            items=[PlaylistItem(track_id="tr1", added_at="2024-02-01T00:00:00Z", added_by="alice")])],
    )


@pytest.fixture
def sandbox():
    running = start_sandbox(push_library())
    yield running
    running.stop()


@pytest.fixture
def env(sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "DAGSTER_HOME", "SPOTIFY_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPOTIFY_API_BASE", sandbox.url)
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", sandbox.url)
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    assert run_login() == 0
    return tmp_path


@pytest.fixture
def clock(sandbox) -> MovableClock:
    return movable_clock(sandbox.url)


@pytest.fixture
def spotify(env, clock):
    return make_resource(env, clock)


@pytest.fixture
def warehouse(env):
    return Warehouse(data_dir=str(env / "data"))


class Remote:
    """The sandbox seen from outside mixtape: playlists, request counts, faults."""

    def __init__(self, url: str):
        self.url = url

    def playlist(self, playlist_id: str) -> dict:
        library = requests.get(f"{self.url}/_sandbox/library", timeout=10).json()
        return next(p for p in library["playlists"] if p["id"] == playlist_id)

    def entries(self, playlist_id: str) -> list[tuple[str, str]]:
        return [(f"spotify:track:{i['track_id']}", i["added_at"]) for i in self.playlist(playlist_id)["items"]]

    def uris(self, playlist_id: str) -> list[str]:
        return [u for u, _ in self.entries(playlist_id)]

    def stats(self) -> dict[str, int]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=10).json()["requests"]

    def writes(self) -> dict[str, int]:
        return {route: n for route, n in self.stats().items() if route.split()[0] in ("POST", "PUT", "DELETE")
                and "/items" in route}

    def reset(self) -> None:
        requests.post(f"{self.url}/_sandbox/reset", timeout=10).raise_for_status()

    def fault(self, **fault) -> None:
        requests.post(f"{self.url}/_sandbox/faults", json=[fault], timeout=10).raise_for_status()


@pytest.fixture
def remote(sandbox) -> Remote:
    return Remote(sandbox.url)


@pytest.fixture
def push(spotify, warehouse, clock):
    """Push alice's tracklists ({child: [uris]}) as the asset does; returns the events."""

    def run(tracklists: dict[str, list[str]], rule_hash: str = "r1", later: timedelta = timedelta(0),
            **config) -> list[dict]:
        wanted = {child: {"uris": uris, "rule_hash": rule_hash, "base_source": "liked"} for child, uris in tracklists.items()}
        return push_user(spotify, warehouse, "alice", wanted, PushConfig(**config), run_id="test",
                         log=lambda _: None, clock=clock, sleep=clock.sleep, now=lambda: utcnow() + later)

    return run
