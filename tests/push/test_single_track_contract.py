"""What included tracks are read from: the sandbox's GET /v1/tracks/{id}, through the Spotify resource, is the
contract's track (tests/sandbox/contract) without the fields development mode removed."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sandbox import start_sandbox
from sandbox.library import Album, Artist, Library, Track, User

CONTRACT = Path(__file__).parents[1] / "sandbox" / "contract" / "spotify.schema.json"
TRACK, ALBUM, ARTIST = "1" * 22, "2" * 22, "3" * 22  # ids as Spotify's: 22 base62 characters


@pytest.fixture
def sandbox():
    running = start_sandbox(Library(
        profile="devmode", users=[User(id="alice", display_name="Alice")],
        artists=[Artist(id=ARTIST, name="Artist")],
        albums=[Album(id=ALBUM, name="Album", release_date="2001-02-03", artist_ids=[ARTIST])],
        tracks=[Track(id=TRACK, name="Track", album_id=ALBUM, artist_ids=[ARTIST], duration_ms=180000)]))
    yield running
    running.stop()


def test_the_single_track_answer_is_the_development_mode_track_of_the_contract(spotify, remote):
    contract = json.loads(CONTRACT.read_text())
    remote.reset()
    track = spotify.track("alice", TRACK)
    Draft202012Validator({**contract, "$ref": "#/$defs/track"}).validate(track)
    assert (track["id"], track["album"]["release_date"], track["album"]["release_date_precision"]) == (
        TRACK, "2001-02-03", "day")
    assert not {"popularity", "available_markets", "linked_from"} & set(track)
    assert remote.stats() == {"GET /v1/tracks/{track_id}": 1}
