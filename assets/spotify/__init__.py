"""The user's Spotify library as per-user assets: liked songs, playlists and items, catalog."""

import dagster as dg

from assets.spotify.catalog import catalog
from assets.spotify.checks import SPOTIFY_CHECKS
from assets.spotify.library import liked_songs
from assets.spotify.playlist_items import playlist_items
from assets.spotify.playlists import playlists
from assets.spotify.state import library_complete

SPOTIFY_ASSETS = [liked_songs, playlists, playlist_items, catalog]

__all__ = ["SPOTIFY_ASSETS", "SPOTIFY_CHECKS", "library_complete"]

defs = dg.Definitions(assets=SPOTIFY_ASSETS, asset_checks=SPOTIFY_CHECKS)
