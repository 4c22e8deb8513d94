"""Settings from the environment (and a `.env` in the working directory), for the command-line commands.

Dagster runs never read this: their resources are configured in `pipelines/resources.py`, with
`dg.EnvVar`s Dagster resolves when a run starts. Both start from the production defaults below.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from resources.environment import DATA_DIR, ENV_FILE

# Production defaults, shared by these settings and the resources' fields.
SPOTIFY_API_BASE = "https://api.spotify.com"
SPOTIFY_ACCOUNTS_BASE = "https://accounts.spotify.com"
SPOTIFY_REDIRECT_URI = "http://127.0.0.1:8888/callback"
DEEZER_API_BASE = "https://api.deezer.com"
LASTFM_API_BASE = "https://ws.audioscrobbler.com"
MUSICBRAINZ_API_BASE = "https://musicbrainz.org"
RULES_FILE = "playlists.yaml"


class Settings(BaseSettings):
    """Each field is read from the upper-cased environment variable (`SPOTIFY_API_BASE`, ...)."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore")

    spotify_api_base: str = SPOTIFY_API_BASE
    spotify_accounts_base: str = SPOTIFY_ACCOUNTS_BASE
    deezer_api_base: str = DEEZER_API_BASE
    lastfm_api_base: str = LASTFM_API_BASE
    musicbrainz_api_base: str = MUSICBRAINZ_API_BASE
    spotify_client_id: str | None = None
    spotify_client_secret: SecretStr | None = None
    spotify_redirect_uri: str = SPOTIFY_REDIRECT_URI
    lastfm_api_key: SecretStr | None = None
    mixtape_data_dir: str = DATA_DIR
    mixtape_rules: str = RULES_FILE
    mixtape_storage: str = "duckdb"
    mixtape_token_store: str = "file"
    mixtape_secrets_prefix: str | None = None
    aws_endpoint_url: str | None = None
    aws_region: str | None = None
    aws_default_region: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        return cls()

    @property
    def data_dir(self) -> Path:
        return Path(self.mixtape_data_dir)

    @property
    def uses_sandbox_defaults(self) -> bool:
        """No Spotify app configured: the embedded sandbox stands in."""
        return self.spotify_client_id is None
