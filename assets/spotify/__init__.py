"""The user's Spotify library as per-user assets: liked songs, playlists and items, catalog."""

from assets.spotify.catalog import catalog
from assets.spotify.checks import SPOTIFY_CHECKS
from assets.spotify.library import liked_songs
from assets.spotify.playlists import playlist_items, playlists
from assets.spotify.state import library_complete

SPOTIFY_ASSETS = [liked_songs, playlists, playlist_items, catalog]

__all__ = ["SPOTIFY_ASSETS", "SPOTIFY_CHECKS", "library_complete"]
