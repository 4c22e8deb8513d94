"""Sandbox fixtures: an in-process sandbox on a loopback port, real spotipy clients, contract checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import spotipy
from jsonschema import Draft202012Validator

from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import generate_library
from sandbox.library import Library

CONTRACT = Path(__file__).resolve().parent / "contract" / "spotify.schema.json"


@pytest.fixture(scope="session")
def contract() -> dict:
    """The project's own JSON Schemas of the Spotify objects mixtape uses (tests/sandbox/contract)."""
    schema = json.loads(CONTRACT.read_text())
    Draft202012Validator.check_schema(schema)
    return schema


@pytest.fixture(scope="session")
def conforms(contract):
    """conforms(obj, "playlist") raises jsonschema's ValidationError when obj breaks the contract's `$defs/playlist`."""
    validators: dict[str, Draft202012Validator] = {}

    def check(obj: Any, name: str) -> None:
        if name not in validators:
            assert name in contract["$defs"], f"no schema named {name!r} in {CONTRACT.name}"
            validators[name] = Draft202012Validator({**contract, "$ref": f"#/$defs/{name}"})
        validators[name].validate(obj)
    return check


def sandbox_library() -> Library:
    """What the sandbox tests read by default: the demo's users, 600 liked songs, playlists of several pages
    and every awkward item kind (the demo's own library is kept small for the demo's sake)."""
    return generate_library(seed=2026, users=["demo", "friend"], liked=600, playlists=7, big_playlist=120)


class Harness:
    """Start sandboxes and make spotipy clients for their users; stops them all at the end."""

    def __init__(self) -> None:
        self.running: list[RunningSandbox] = []

    def start(self, library: Library | None = None, profile: str = "devmode", **options) -> RunningSandbox:
        library = library if library is not None else sandbox_library()
        library.profile = profile
        running = start_sandbox(library, **options)
        self.running.append(running)
        return running

    @staticmethod
    def token(running: RunningSandbox, user: str = "demo", client_id: str = "client-a") -> str:
        return running.world.tokens.issue(user, client_id, "playlist-modify-private", running.world.clock.now())["access_token"]

    def client(self, running: RunningSandbox, user: str = "demo", client_id: str = "client-a", **options) -> spotipy.Spotify:
        options.setdefault("retries", 0)
        sp = spotipy.Spotify(auth=self.token(running, user, client_id), **options)
        sp.prefix = running.url + "/v1/"
        return sp

    def stop(self) -> None:
        for running in self.running:
            running.stop()


@pytest.fixture
def sandboxes():
    harness = Harness()
    yield harness
    harness.stop()


@pytest.fixture
def demo(sandboxes) -> RunningSandbox:
    return sandboxes.start()


@pytest.fixture
def sp(sandboxes, demo) -> spotipy.Spotify:
    return sandboxes.client(demo)
