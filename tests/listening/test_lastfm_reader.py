"""The Last.fm reader of a user's scrobbles, against the sandbox over HTTP."""

import pytest

from resources.http import ServiceError, Timing, with_timing
from resources.lastfm import LastfmResource, parse_usernames
from sandbox import start_sandbox
from sandbox.generator import generate_library
from sandbox.plays import PlayHistory


@pytest.fixture(scope="module")
def running():
    library = generate_library(seed=4, users=["alice", "bob"], liked=120, playlists=2, big_playlist=20)
    with start_sandbox(library) as sandbox:
        yield sandbox


def client(running, tmp_path):
    timing = Timing(clock=running.world.clock.now, sleep=running.world.clock.advance)
    return with_timing(LastfmResource(base_url=running.base_urls["LASTFM_API_BASE"], data_dir=str(tmp_path)), timing).client()


def test_recent_tracks_reads_every_page_since_a_time_oldest_first(running, tmp_path):
    history = PlayHistory(running.world.library)
    expected = [((s.ended_ms - s.play.ms_played) // 1000, history.names(s.play.track_id))
                for s in history.scrobbles("alice", running.world.clock.now())]
    assert len(expected) > 400  # more than two pages of 200
    got = client(running, tmp_path).recent_tracks("alice", 0)
    assert [(s.started_at, (s.track, s.artist, s.album)) for s in got] == expected
    since = expected[-7][0]
    assert [s.started_at for s in client(running, tmp_path).recent_tracks("alice", since)] == [t for t, _ in expected[-7:]]


def test_an_unknown_lastfm_user_is_an_error(running, tmp_path):
    with pytest.raises(ServiceError, match="no Last.fm user"):
        client(running, tmp_path).recent_tracks("nobody", 0)


def test_usernames_are_user_equals_name_pairs():
    assert parse_usernames(" alice=rj, bob = bobfm,,broken") == {"alice": "rj", "bob": "bobfm"}
    assert LastfmResource(usernames="demo=demo").username_of("demo") == "demo"
    assert LastfmResource().username_of("demo") is None
