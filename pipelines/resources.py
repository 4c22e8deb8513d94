"""The resources every asset reaches the outside through, and the one place their configuration comes
from: environment variables, passed as `dg.EnvVar`s that Dagster resolves when a run starts (and
shows as variables, never as values, in the UI).

Every field has a production default (the API bases) or a safe one (`data/`, DuckDB, the sandbox's
app when no Spotify app is configured). Dagster fails a run on an `EnvVar` whose variable is unset,
whatever the field's default, so an optional variable is passed only when it is set; a secret whose
app is configured is always passed, so a missing secret stops the run before any request.
"""

from __future__ import annotations

import os

import dagster as dg

from resources.clock import Clock
from resources.deezer import DeezerResource
from resources.lastfm import LastfmResource
from resources.musicbrainz import MusicbrainzResource
from resources.rule_file import RuleFile
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


def resources_from_env() -> dict:
    """The resource of each key, configured from the environment."""
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
        "lastfm": LastfmResource(clock=clock, **env_vars(base_url="LASTFM_API_BASE", api_key="LASTFM_API_KEY", **DATA_DIR)),
        "musicbrainz": MusicbrainzResource(clock=clock, **env_vars(base_url="MUSICBRAINZ_API_BASE", **DATA_DIR)),
        "rule_file": RuleFile(**env_vars(path="MIXTAPE_RULES")),
    }


def initialized(key: str):
    """One resource as a command uses it outside a run: its `EnvVar`s resolved now (mixtape's resources
    hold nothing to tear down, so it stays usable after its setup context)."""
    with resources_from_env()[key].process_config_and_initialize_cm() as resource:
        return resource
