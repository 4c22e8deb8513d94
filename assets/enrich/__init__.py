"""Enrichment from Deezer, Last.fm and MusicBrainz: shared across users, cached with TTLs."""

from assets.enrich.deezer import deezer_tracks
from assets.enrich.lastfm import lastfm_artists, lastfm_tracks
from assets.enrich.musicbrainz import musicbrainz_recordings

ENRICH_ASSETS = [musicbrainz_recordings, deezer_tracks, lastfm_tracks, lastfm_artists]
