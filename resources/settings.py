"""Settings from the environment (and a `.env` in the working directory)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, SecretStr


def _dotenv(path: Path = Path(".env")) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.lstrip().startswith("#"))
    return {k.strip(): v.strip().strip("'\"") for k, v in pairs}


class Settings(BaseModel):
    spotify_api_base: str = "https://api.spotify.com"
    spotify_accounts_base: str = "https://accounts.spotify.com"
    deezer_api_base: str = "https://api.deezer.com"
    lastfm_api_base: str = "https://ws.audioscrobbler.com"
    musicbrainz_api_base: str = "https://musicbrainz.org"
    spotify_client_id: str | None = None
    spotify_client_secret: SecretStr | None = None
    spotify_redirect_uri: str = "http://127.0.0.1:8888/callback"
    lastfm_api_key: SecretStr | None = None
    mixtape_data_dir: str = "data"
    mixtape_rules: str = "playlists.yaml"
    mixtape_storage: str = "duckdb"

    @classmethod
    def from_env(cls) -> "Settings":
        env = {**_dotenv(), **os.environ}
        return cls(**{name: env[name.upper()] for name in cls.model_fields if name.upper() in env})

    @property
    def data_dir(self) -> Path:
        return Path(self.mixtape_data_dir)

    @property
    def uses_sandbox_defaults(self) -> bool:
        """No Spotify app configured: the embedded sandbox stands in."""
        return self.spotify_client_id is None
