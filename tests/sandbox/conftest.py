"""Sandbox fixtures: an in-process sandbox on a loopback port, real spotipy clients, schema checks."""

from __future__ import annotations

from typing import Any

import pytest
import spotipy
import yaml
from openapi_schema_validator import OAS30Validator

from sandbox import RunningSandbox, start_sandbox
from sandbox.generator import demo_library
from sandbox.library import Library

from tests.sandbox.helpers import REPO

SPEC = REPO.parent / "shared" / "reference" / "spotify-web-api-openapi.yml"


def relax(node: Any) -> Any:
    """The spec as a relaxed oracle: nothing required, null allowed, `oneOf` read as `anyOf`
    (with every schema nullable a null item would match both track and episode)."""
    if isinstance(node, list):
        return [relax(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {("anyOf" if k == "oneOf" else k): relax(v) for k, v in node.items() if k not in ("required", "discriminator")}
    if any(k in out for k in ("type", "allOf", "anyOf", "$ref", "properties")):
        out["nullable"] = True
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


@pytest.fixture(scope="session")
def spec_components() -> dict:
    spec = yaml.load(SPEC.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return relax(spec["components"])


@pytest.fixture(scope="session")
def conforms(spec_components):
    """conforms(obj, "PlaylistObject") raises when obj breaks the (relaxed) Spotify schema."""
    def check(obj: Any, schema: str | dict) -> None:
        root = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
        OAS30Validator({**root, "components": spec_components}).validate(obj)
    return check


class Harness:
    """Start sandboxes and make spotipy clients for their users; stops them all at the end."""

    def __init__(self) -> None:
        self.running: list[RunningSandbox] = []

    def start(self, library: Library | None = None, profile: str = "devmode", **options) -> RunningSandbox:
        library = library if library is not None else demo_library()
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
