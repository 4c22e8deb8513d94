"""The sandbox: local HTTP servers that speak Spotify, Deezer, Last.fm and MusicBrainz.

A development and test tool, outside the production import graph: nothing in `assets`, `resources`
or `pipelines` imports it at module level, and it imports none of them (it judges the clients, so
it must not share their code). Every service answers on one loopback port; `/_sandbox/...` control
endpoints (stats, reset, library, faults, clock, session, revoke) let tests steer it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from sandbox.accounts import AccountsService
from sandbox.deezer import DeezerService
from sandbox.harness import Clock, Request, Response, Sandbox, serve
from sandbox.lastfm import LastfmService
from sandbox.library import Library
from sandbox.musicbrainz import MusicbrainzService
from sandbox.spotify_api import SpotifyService
from sandbox.world import World


def build_services(world: World, options: dict) -> list:
    """Every service the sandbox speaks, in routing order."""
    services: list = []
    services.append(AccountsService(world))
    services.append(SpotifyService(world, options.get("quota_per_day"), options.get("rate_limit_per_30s")))
    services += [DeezerService(world), LastfmService(world, options.get("lastfm_api_key")), MusicbrainzService(world)]
    return services


def _install_controls(sandbox: Sandbox, world: World) -> None:
    def stats(_: Request) -> Response:
        return Response(200, sandbox.stats())

    def reset(_: Request) -> Response:
        sandbox.reset_stats()
        return Response(200, sandbox.stats())

    def get_library(_: Request) -> Response:
        return Response(200, world.library.model_dump(mode="json"))

    def post_library(request: Request) -> Response:
        world.load(Library.model_validate(request.json()))
        return Response(200, {"ok": True})

    def faults(request: Request) -> Response:
        sandbox.add_faults(request.json() or [])
        return Response(200, {"pending": len(sandbox.faults)})

    def clock(request: Request) -> Response:
        sandbox.clock.advance(float((request.json() or {}).get("advance_s", 0)))
        return Response(200, {"now": sandbox.clock.now()})

    def session(request: Request) -> Response:
        world.session_user = (request.json() or {})["user"]
        return Response(200, {"user": world.session_user})

    def revoke(request: Request) -> Response:
        world.tokens.revoke_user((request.json() or {})["user"])
        return Response(200, {"ok": True})

    for method, name, handler in [
        ("GET", "stats", stats), ("POST", "reset", reset), ("GET", "library", get_library),
        ("POST", "library", post_library), ("POST", "faults", faults), ("POST", "clock", clock),
        ("POST", "session", session), ("POST", "revoke", revoke),
    ]:
        sandbox.add_control(method, name, handler)


@dataclass
class RunningSandbox:
    """A sandbox serving on a loopback port in a background thread."""

    sandbox: Sandbox
    world: World
    server: object
    url: str

    @property
    def base_urls(self) -> dict[str, str]:
        return {
            "SPOTIFY_API_BASE": self.url,
            "SPOTIFY_ACCOUNTS_BASE": self.url,
            "DEEZER_API_BASE": f"{self.url}/deezer",
            "LASTFM_API_BASE": f"{self.url}/lastfm",
            "MUSICBRAINZ_API_BASE": f"{self.url}/musicbrainz",
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "RunningSandbox":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_sandbox(
    library: Library,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: int = 0,
    client_id: str | None = None,
    client_secret: str | None = None,
    **options,
) -> RunningSandbox:
    """Start every sandbox service on one port; options go to the services (quota, rate limits)."""
    world = World(library, Clock(), client_id, client_secret)
    sandbox = Sandbox(build_services(world, options), world.clock, latency_ms=latency_ms)
    _install_controls(sandbox, world)
    server = serve(sandbox, host, port)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="sandbox").start()
    bound_host, bound_port = server.server_address[:2]
    return RunningSandbox(sandbox, world, server, f"http://{bound_host}:{bound_port}")


def announce(running: RunningSandbox) -> str:
    """The first line `mixtape sandbox serve` prints: the base URLs to export."""
    return json.dumps(running.base_urls)
