"""The resources every asset reaches the outside through, and the one place their configuration comes
from: environment variables, passed as `dg.EnvVar`s that Dagster resolves when a run starts (and
shows as variables, never as values, in the UI).

Every field has a production default (the API bases) or a safe one (`data/`, DuckDB, the sandbox's
app when no Spotify app is configured). Dagster fails a run on an `EnvVar` whose variable is unset,
whatever the field's default, so an optional variable is passed only when it is set; a secret whose
app is configured is always passed, so a missing secret stops the run before any request.

Two worlds, chosen here and nowhere else (`WORLDS`, `current_world`):
- `production`: `SPOTIFY_CLIENT_ID` is set. The real services, never the sandbox.
- `demo`: no Spotify app. The persistent demo sandbox under `MIXTAPE_DATA_DIR` (started on demand,
  or found running: `pipelines/commands/demo_sandbox.py`), its base URLs put in the environment so
  the same `EnvVar`s reach it; every entry point that builds the resources says so in one line.
A base URL set by hand (`SPOTIFY_API_BASE`, as `mixtape sandbox serve --print-env` prints it, or a
test's own sandbox) is used as given: the world is then `configured`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg

from resources.clock import Clock
from resources.deezer import DeezerResource
from resources.lastfm import LastfmResource
from resources.musicbrainz import MusicbrainzResource
from resources.rule_file import RuleFile
from resources.environment import DATA_DIR as DEFAULT_DATA_DIR
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

DATA_DIR = {"data_dir": "MIXTAPE_DATA_DIR"}


def env_vars(**fields: str) -> dict[str, dg.EnvVar]:
    """`{field: EnvVar(NAME)}` for each variable that is set; an unset one leaves the field's default."""
    return {field: dg.EnvVar(name) for field, name in fields.items() if os.environ.get(name)}


def spotify_app() -> dict[str, dg.EnvVar]:
    """The Spotify app's credentials: none (the sandbox's app), or the client id with its secret."""
    if not os.environ.get("SPOTIFY_CLIENT_ID"):
        return {}
    return {"client_id": dg.EnvVar("SPOTIFY_CLIENT_ID"), "client_secret": dg.EnvVar("SPOTIFY_CLIENT_SECRET")}


def current_world() -> str:
    """`production` (a Spotify app is configured), `configured` (the base URLs are given) or `demo`."""
    if os.environ.get("SPOTIFY_CLIENT_ID"):
        return "production"
    if os.environ.get("SPOTIFY_API_BASE"):
        return "configured"
    return "demo"


_announced: set[str] = set()


def say_once(line: str) -> None:
    """One line on standard error, once per process."""
    if line not in _announced:
        _announced.add(line)
        print(line, file=sys.stderr, flush=True)


def enter_demo_world() -> str:
    """The demo sandbox, started or found running, with this process's environment pointed at it."""
    from pipelines.commands.demo_sandbox import enter_demo_world as enter

    data_dir = Path(os.environ.get("MIXTAPE_DATA_DIR") or DEFAULT_DATA_DIR)
    url = enter(data_dir)
    say_once(f"demo world: sandbox at {url} (state in {data_dir / 'sandbox'}); set SPOTIFY_CLIENT_ID to use your account")
    return url


def demo_resources() -> dict:
    enter_demo_world()
    return resources_from_env()


def production_resources() -> dict:
    if not os.environ.get("SPOTIFY_API_BASE"):
        say_once("production world: Spotify app " + os.environ.get("SPOTIFY_CLIENT_ID", "?")[:6] + "…")
    return resources_from_env()


# The resources of each world; `world_resources()` picks one.
WORLDS = {"production": production_resources, "configured": lambda: resources_from_env(), "demo": demo_resources}


def world_resources() -> dict:
    """The resources of the current world (the demo world starts its sandbox when none is running)."""
    return WORLDS[current_world()]()


def enter_world() -> str:
    """Make the current world usable from this process (the demo sandbox running, its URLs in the
    environment); the world's name."""
    world = current_world()
    if world == "demo":
        enter_demo_world()
    return world


def resources_from_env() -> dict:
    """The resource of each key, configured from the environment as it is now."""
    clock = Clock()
    return {
        "warehouse": Warehouse(**env_vars(storage="MIXTAPE_STORAGE", s3_endpoint_url="AWS_ENDPOINT_URL", **DATA_DIR)),
        "spotify": SpotifyResource(
            clock=clock, **spotify_app(),
            **env_vars(api_base="SPOTIFY_API_BASE", accounts_base="SPOTIFY_ACCOUNTS_BASE",
                       redirect_uri="SPOTIFY_REDIRECT_URI", token_store="MIXTAPE_TOKEN_STORE",
                       secrets_prefix="MIXTAPE_SECRETS_PREFIX", aws_endpoint_url="AWS_ENDPOINT_URL",
                       aws_region="AWS_REGION", **DATA_DIR),
        ),
        "deezer": DeezerResource(clock=clock, **env_vars(base_url="DEEZER_API_BASE", **DATA_DIR)),
        "lastfm": LastfmResource(clock=clock, **env_vars(base_url="LASTFM_API_BASE", api_key="LASTFM_API_KEY",
                                                         usernames="MIXTAPE_LASTFM_USERS", **DATA_DIR)),
        "musicbrainz": MusicbrainzResource(clock=clock, **env_vars(base_url="MUSICBRAINZ_API_BASE", **DATA_DIR)),
        "rule_file": RuleFile(**env_vars(path="MIXTAPE_RULES")),
    }


def initialized(key: str):
    """One resource as a command uses it outside a run: its `EnvVar`s resolved now (mixtape's resources
    hold nothing to tear down, so it stays usable after its setup context)."""
    with resources_from_env()[key].process_config_and_initialize_cm() as resource:
        return resource
