"""Which keys each source asks for: ISRCs, normalised artist + title, distinct artists."""

from assets.enrichment.lookups import distinct_artists, distinct_tracks, tracks_without_isrc, wanted_isrcs

TRACKS = [
    {"track_id": "1", "name": "Come Together - Remastered 2009", "isrc": "gbaye0601690", "artist_names": ["The Beatles"]},
    {"track_id": "2", "name": "Come Together", "isrc": "GBAYE0601690", "artist_names": ["the beatles"]},
    {"track_id": "3", "name": "Get Lucky (feat. Pharrell Williams)", "isrc": None, "artist_names": ["Daft Punk", "Pharrell Williams"]},
    {"track_id": "4", "name": "Get Lucky", "isrc": " ", "artist_names": ["Daft Punk"]},
    {"track_id": "5", "name": "", "isrc": None, "artist_names": ["Nobody"]},
]


def test_lastfm_asks_once_per_normalised_track_with_the_first_names_seen():
    assert distinct_tracks(TRACKS) == {
        ("the beatles", "come together"): ("The Beatles", "Come Together - Remastered 2009"),
        ("daft punk", "get lucky"): ("Daft Punk", "Get Lucky (feat. Pharrell Williams)"),
    }


def test_lastfm_asks_once_per_credited_artist():
    assert distinct_artists(TRACKS) == {"the beatles": "The Beatles", "daft punk": "Daft Punk",
                                        "pharrell williams": "Pharrell Williams", "nobody": "Nobody"}


def test_musicbrainz_only_for_tracks_without_isrc_searching_the_bare_title():
    """MusicBrainz lists featured artists and remasters apart: a search with Spotify's full title misses."""
    assert tracks_without_isrc(TRACKS) == {"daft punk|get lucky": ("Daft Punk", "Get Lucky")}


def test_deezer_asks_catalog_isrcs_once_and_those_musicbrainz_found_for_wanted_tracks():
    found = [{"lookup_key": "daft punk|get lucky", "isrc": "usqx91300108"},
             {"lookup_key": "gone|track no longer in the catalog", "isrc": "XX0000000001"}]
    assert wanted_isrcs(TRACKS, found) == ["GBAYE0601690", "USQX91300108"]
