"""The enrichment sources, as data: what each asks which service, cached in which table, for how long."""

from assets.enrichment.cache import DEFAULT_TTLS
from assets.enrichment.factory import EnrichmentSource
from assets.enrichment.lookups import (
    deezer_values, distinct_tracks, lastfm_artist_values, lastfm_track_values, musicbrainz_values, wanted_deezer,
    wanted_lastfm_artists, wanted_musicbrainz,
)

MUSICBRAINZ_RECORDINGS = EnrichmentSource(
    name="musicbrainz_recordings",
    service="musicbrainz",
    description="MusicBrainz recording, ISRC, length and genres for catalog tracks that have no ISRC.",
    key_columns=("lookup_key",),
    ttl=DEFAULT_TTLS["musicbrainz"],
    wanted=wanted_musicbrainz,
    lookup=lambda client, names: musicbrainz_values(client.find_recording(*names)),
)

DEEZER_TRACKS = EnrichmentSource(
    name="deezer_tracks",
    service="deezer",
    description="Deezer bpm (null when unknown, octave errors flagged), gain, rank and release date per ISRC.",
    key_columns=("isrc",),
    ttl=DEFAULT_TTLS["deezer"],
    wanted=wanted_deezer,
    lookup=lambda client, isrc: deezer_values(client.track_by_isrc(isrc)),
    fed_by=MUSICBRAINZ_RECORDINGS.name,  # the ISRCs MusicBrainz found for catalog tracks that had none are asked too
)

LASTFM_TRACKS = EnrichmentSource(
    name="lastfm_tracks",
    service="lastfm",
    description="Last.fm tags, listeners and playcount per normalised artist + title (one track.getInfo each).",
    key_columns=("artist_key", "track_key"),
    ttl=DEFAULT_TTLS["lastfm"],
    wanted=distinct_tracks,
    lookup=lambda client, names: lastfm_track_values(client.track_info(*names)),
)

LASTFM_ARTISTS = EnrichmentSource(
    name="lastfm_artists",
    service="lastfm",
    description="Last.fm tags (the artist's genres), listeners and playcount per distinct artist (one artist.getInfo each).",
    key_columns=("artist_key",),
    ttl=DEFAULT_TTLS["lastfm"],
    wanted=wanted_lastfm_artists,
    lookup=lambda client, name: lastfm_artist_values(client.artist_info(name)),
)

# A source feeding another comes first.
SOURCES = [MUSICBRAINZ_RECORDINGS, DEEZER_TRACKS, LASTFM_TRACKS, LASTFM_ARTISTS]
