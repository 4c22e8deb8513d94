"""The shared HTTP layer and the clients over it: pacing, retries only when retryable, JSON normalisation."""

import pytest

from resources.deezer import DeezerResource
from resources.http import RateLimiter, ServiceError, Timing, as_int, as_list, with_timing
from resources.lastfm import LastfmResource, tag_names
from resources.musicbrainz import MusicbrainzResource
from sandbox import start_sandbox
from tests.enrich.sandbox_library import library, sandbox_timing


@pytest.fixture(autouse=True)
def in_a_temporary_directory(tmp_path, monkeypatch):
    """The clients count their requests in the ledger under `data/`: here, not in the project."""
    monkeypatch.chdir(tmp_path)


class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def request(limiter: RateLimiter, fake: FakeClock, latency_s: float = 0.0) -> None:
    limiter.acquire()
    fake.now += latency_s
    limiter.release()


def test_limiter_waits_only_when_the_window_is_full():
    fake = FakeClock()
    limiter = RateLimiter(2, 1.0, Timing(fake.clock, fake.sleep))
    for _ in range(5):
        request(limiter, fake)
    assert fake.sleeps == [1.0, 1.0]  # requests at 0, 0, 1, 1, 2
    fake.now += 10
    request(limiter, fake)
    assert len(fake.sleeps) == 2 and limiter.waited_s == 2.0


def test_limiter_runs_the_window_from_the_answer_so_a_late_arrival_cannot_crowd_it():
    fake = FakeClock()
    limiter = RateLimiter(1, 1.0, Timing(fake.clock, fake.sleep))
    request(limiter, fake, latency_s=0.3)  # sent at 0, answered at 0.3: it may have arrived at 0.3
    request(limiter, fake)
    assert fake.sleeps == [1.0]  # the next one goes at 1.3, a full second after


def test_limiter_counts_requests_in_flight():
    class Waits(Exception):
        pass

    def sleep(seconds):
        raise Waits(seconds)

    limiter = RateLimiter(2, 1.0, Timing(lambda: 1000.0, sleep))
    limiter.acquire()
    limiter.acquire()  # two threads, each with a request in flight: no room until one is answered
    with pytest.raises(Waits):
        limiter.acquire()
    limiter.release()
    with pytest.raises(Waits):  # answered just now: its place stays taken for the window
        limiter.acquire()


def test_normalisers():
    assert as_list(None) == [] and as_list("") == [] and as_list({"a": 1}) == [{"a": 1}] and as_list([1]) == [1]
    assert as_int("1315650") == 1315650 and as_int(7) == 7 and as_int("n/a") is None and as_int(None) is None
    assert tag_names({"tag": {"name": "ballad"}}) == ["ballad"]
    assert tag_names({"tag": [{"name": "a"}, {"name": "b"}]}) == ["a", "b"]
    assert tag_names("") == []


@pytest.fixture(scope="module")
def running():
    with start_sandbox(library()) as running:
        yield running


@pytest.fixture
def sandbox(running):
    running.sandbox.faults.clear()
    running.world.clock.advance(60)
    running.sandbox.reset_stats()
    return running


def client(resource_cls, sandbox, env: str, **config):
    return with_timing(resource_cls(base_url=sandbox.base_urls[env], **config), sandbox_timing(sandbox)).client()


def test_deezer_client_retries_quota_errors_then_answers(sandbox):
    sandbox.sandbox.add_faults([{"route": "GET /deezer/track/{ref}", "times": 2, "status": 429}])
    deezer = client(DeezerResource, sandbox, "DEEZER_API_BASE")
    track = deezer.track_by_isrc("GBAYE0601690")
    assert (track.deezer_id, track.bpm_raw, track.gain, track.rank) == (116348128, 82.5, -9.1, 780000)
    assert deezer.api.requests_sent == 3 and deezer.api.waited_s >= 3.0  # backoff 1 s, then 2 s
    assert deezer.track_by_isrc("USQX91300108") is None


def test_deezer_client_gives_up_after_its_attempts(sandbox):
    sandbox.sandbox.add_faults([{"route": "GET /deezer/track/{ref}", "times": 10, "status": 503}])
    deezer = client(DeezerResource, sandbox, "DEEZER_API_BASE", max_attempts=3)
    with pytest.raises(ServiceError, match="error 700"):
        deezer.track_by_isrc("GBAYE0601690")
    assert deezer.api.requests_sent == 3


def test_lastfm_client_normalises_and_does_not_retry_a_bad_key(sandbox):
    lastfm = client(LastfmResource, sandbox, "LASTFM_API_BASE")
    info = lastfm.track_info("the beatles", "Something")
    assert (info.artist, info.track, info.listeners, info.tags) == ("The Beatles", "Something", 900000, ["ballad"])
    assert lastfm.artist_info("Nobody Known") is None
    sandbox.sandbox.add_faults([{"route": "GET /lastfm/2.0", "times": 1, "status": 403}])  # error 8 with HTTP 403
    assert lastfm.artist_info("Daft Punk").tags == ["electronic"]  # retried: the code says transient


def test_lastfm_invalid_key_fails_at_once_without_leaking_it():
    with start_sandbox(library(), lastfm_api_key="the-real-key") as running:
        lastfm = with_timing(LastfmResource(base_url=running.base_urls["LASTFM_API_BASE"], api_key="wrong-secret-key"),
                             sandbox_timing(running)).client()
        with pytest.raises(ServiceError) as raised:
            lastfm.artist_info("Daft Punk")
        assert lastfm.api.requests_sent == 1 and "error 10" in str(raised.value)
        assert "wrong-secret-key" not in str(raised.value)


def test_musicbrainz_client_finds_recording_isrc_and_genres(sandbox):
    mb = client(MusicbrainzResource, sandbox, "MUSICBRAINZ_API_BASE")
    recording = mb.find_recording("Nobody Known", "Home Demo")
    assert (recording.isrc, recording.genres, recording.artist, recording.length_ms) == ("GBXXX2400001", ["lo-fi", "indie"], "Nobody Known", 128500)
    assert mb.find_recording("Nobody Known", "Lost Song") is None
    assert [r["title"] for r in mb.recordings_by_isrc("GBAYE0601690")] == ["Come Together"]
    assert mb.recordings_by_isrc("USQX91300108") == []
    assert sandbox.sandbox.stats()["violations"] == {}


def test_musicbrainz_without_user_agent_fails_without_retrying(sandbox):
    mb = client(MusicbrainzResource, sandbox, "MUSICBRAINZ_API_BASE", user_agent="")
    with pytest.raises(ServiceError, match="HTTP 403"):
        mb.find_recording("Nobody Known", "Home Demo")
    assert mb.api.requests_sent == 1


def test_unpaced_clients_would_be_caught(sandbox):
    """The zero-violation results mean something: the same calls without pacing break the limit."""
    mb = client(MusicbrainzResource, sandbox, "MUSICBRAINZ_API_BASE")
    mb.api.limiter = RateLimiter(100, 1.0, sandbox_timing(sandbox))  # no real pacing
    mb.api.max_attempts = 1
    with pytest.raises(ServiceError, match="HTTP 503"):
        for _ in range(3):
            mb.recordings_by_isrc("GBXXX2400001")
    assert sandbox.sandbox.stats()["violations"] == {"musicbrainz": 1}


def test_an_unreachable_service_is_retried_then_fails_without_leaking_the_key():
    fake = FakeClock()
    lastfm = with_timing(LastfmResource(base_url="http://127.0.0.1:9", api_key="secret-key-123", timeout_s=2),
                         Timing(fake.clock, fake.sleep)).client()
    with pytest.raises(ServiceError) as raised:
        lastfm.track_info("Daft Punk", "Get Lucky")
    assert str(raised.value) == "lastfm: connection failed"
    assert lastfm.api.requests_sent == 4 and fake.sleeps[-3:] == [1.0, 2.0, 4.0]  # exponential backoff
