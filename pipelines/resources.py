"""The resources every asset reaches the outside through, configured from the environment."""

import os

from resources.deezer import DeezerResource
from resources.lastfm import LastfmResource
from resources.musicbrainz import MusicbrainzResource
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse


def resources_from_env() -> dict:
    """Production bases by default; the sandbox's when its URLs are exported (SANDBOX.md)."""
    settings = Settings.from_env()
    return {
        "warehouse": Warehouse(
            storage=settings.mixtape_storage,
            data_dir=settings.mixtape_data_dir,
            s3_endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        ),
        "spotify": SpotifyResource(),
        "deezer": DeezerResource(),
        "lastfm": LastfmResource(),
        "musicbrainz": MusicbrainzResource(),
    }
