"""Fixtures for the Spotify resource: a small sandbox library, a running sandbox, a movable clock,
the environment `mixtape login` reads, and a resource wired to all of them."""

from __future__ import annotations

import argparse
import os
import threading
from contextlib import contextmanager
from typing import Iterator

import pytest
import requests

from sandbox import RunningSandbox, start_sandbox
from sandbox.library import Album, Artist, Library, Liked, Playlist, PlaylistItem, Track, User
from resources.spotify import SpotifyResource
from tests.clocked import MovableClock, movable_clock


def make_library(profile: str = "devmode", liked: int = 120) -> Library:
    """alice likes `liked` tracks and owns a playlist of 60; bob owns one alice only follows."""
    artists = [Artist(id=f"ar{i}", name=f"Artist {i}", genres=["rock"], popularity=50) for i in range(3)]
    albums = [Album(id=f"al{i}", name=f"Album {i}", release_date="2001-02-03", artist_ids=[f"ar{i}"]) for i in range(3)]
    tracks = [Track(id=f"tr{i}", name=f"Track {i}", album_id=f"al{i % 3}", artist_ids=[f"ar{i % 3}"],
                    duration_ms=180000 + i, isrc=f"SE0000000{i:03d}") for i in range(max(liked, 60))]
    return Library(
        profile=profile,
        users=[User(id="alice", display_name="Alice"), User(id="bob", display_name="Bob")],
        artists=artists, albums=albums, tracks=tracks,
        liked={"alice": [Liked(track_id=f"tr{i}", added_at=f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z") for i in range(liked)]},
        playlists=[
            Playlist(id="plAlice", name="Mine", owner="alice",
                     items=[PlaylistItem(track_id=f"tr{i}", added_at="2024-02-01T00:00:00Z", added_by="alice") for i in range(60)]),
            Playlist(id="plBob", name="Bob's", owner="bob", followers=["alice"],
                     items=[PlaylistItem(track_id="tr1", added_at="2024-02-01T00:00:00Z", added_by="bob")]),
        ],
    )


@pytest.fixture
def library() -> Library:
    return make_library()


@contextmanager
def sandbox_running(library: Library, **options) -> Iterator[RunningSandbox]:
    """A sandbox for one test; stopped in the background (shutdown waits out a 0.5 s poll)."""
    running = start_sandbox(library, **options)
    try:
        yield running
    finally:
        threading.Thread(target=running.stop, daemon=True).start()


@pytest.fixture
def sandbox(library):
    with sandbox_running(library) as running:
        yield running


@pytest.fixture
def clock(sandbox) -> MovableClock:
    """Moved together with the sandbox's clock; sleeping moves both instead of waiting."""
    return movable_clock(sandbox.url)


@pytest.fixture
def env(sandbox, tmp_path, monkeypatch):
    """The environment of a user of the sandbox: base URLs, a data dir, a Dagster home; no .env."""
    monkeypatch.chdir(tmp_path)
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "DAGSTER_HOME", "SPOTIFY_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPOTIFY_API_BASE", sandbox.url)
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", sandbox.url)
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def stats(sandbox: RunningSandbox) -> dict[str, int]:
    """The sandbox's request counts by route."""
    return requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"]


def run_login(user: str | None = None) -> int:
    """`mixtape login [--user U]` as the command line runs it (no browser)."""
    from pipelines.commands.login import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["login", "--no-browser", "--timeout", "5"] + (["--user", user] if user else []))
    return args.func(args)


@pytest.fixture
def logged_in(env, sandbox) -> str:
    """alice has run `mixtape login`."""
    assert run_login() == 0
    return "alice"


def make_resource(env_dir, clock: MovableClock, **config) -> SpotifyResource:
    """A resource on the sandbox the environment names, in the data dir, on the movable clock."""
    return SpotifyResource(**{"api_base": os.environ["SPOTIFY_API_BASE"], "accounts_base": os.environ["SPOTIFY_ACCOUNTS_BASE"],
                              "data_dir": os.environ["MIXTAPE_DATA_DIR"], "clock": clock, "backoff_s": 0.5,
                              "run_id": "test-run", **config})


@pytest.fixture
def spotify(logged_in, env, clock) -> SpotifyResource:
    return make_resource(env, clock)
