"""The sandbox Deezer, Last.fm and MusicBrainz servers keep the real services' habits (reference §C–E)."""

import pytest
import requests

from sandbox import start_sandbox
from tests.enrich.sandbox_library import library

API_KEY = "sandbox-lastfm-key"


@pytest.fixture(scope="module")
def running():
    with start_sandbox(library()) as running:
        yield running


@pytest.fixture
def sandbox(running):
    """The module's sandbox with fresh counters, no faults, and every rate window behind it."""
    running.sandbox.faults.clear()
    running.world.clock.advance(60)
    running.sandbox.reset_stats()
    return running


def deezer(sandbox, path: str) -> requests.Response:
    return requests.get(f"{sandbox.base_urls['DEEZER_API_BASE']}{path}", timeout=5)


def lastfm(sandbox, **params) -> requests.Response:
    query = {"api_key": API_KEY, "format": "json", **params}
    return requests.get(f"{sandbox.base_urls['LASTFM_API_BASE']}/2.0/", params=query, timeout=5)


def musicbrainz(sandbox, path: str, headers=None, **params) -> requests.Response:
    headers = {"User-Agent": "mixtape-tests/1 ( tests@example.org )"} if headers is None else headers
    return requests.get(f"{sandbox.base_urls['MUSICBRAINZ_API_BASE']}/ws/2{path}", params={"fmt": "json", **params},
                        headers=headers, timeout=5)


def fault(sandbox, route: str, status: int, times: int = 1) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json=[{"route": route, "status": status, "times": times}], timeout=5)


# --- Deezer -------------------------------------------------------------------------------------


def test_deezer_track_by_isrc_has_the_real_shape(sandbox):
    body = deezer(sandbox, "/track/isrc:GBAYE0601690").json()
    assert (body["id"], body["isrc"], body["bpm"], body["gain"], body["rank"]) == (116348128, "GBAYE0601690", 82.5, -9.1, 780000)
    assert body["type"] == "track" and body["title"] == "Come Together - Remastered 2009" and body["artist"]["name"] == "The Beatles"
    assert body["duration"] == 260 and body["release_date"] == "1969-09-26"


def test_deezer_unknown_bpm_is_zero_and_lowercase_isrc_and_alias_work(sandbox):
    assert deezer(sandbox, "/track/isrc:gbaye0601691").json()["bpm"] == 0
    assert deezer(sandbox, "/2.0/track/isrc:GBAYE0601690").json()["id"] == 116348128


def test_deezer_search_finds_by_artist_and_title_without_bpm(sandbox):
    body = deezer(sandbox, '/search?q=artist:"The Beatles" track:"Something"').json()
    assert [(item["id"], item["isrc"]) for item in body["data"]] == [(116348130, "GBAYE0601691")]
    assert "bpm" not in body["data"][0] and body["total"] == 1
    assert deezer(sandbox, '/search?q=artist:"Nobody Known" track:"Lost Song"').json() == {"data": [], "total": 0}


def test_deezer_errors_come_with_http_200(sandbox):
    for path in ["/track/isrc:USQX91300108", "/track/isrc:GB-AYE-06-01690", "/track/424242"]:
        response = deezer(sandbox, path)
        assert response.status_code == 200
        assert response.json() == {"error": {"type": "DataException", "message": "no data", "code": 800}}


def test_deezer_over_50_requests_in_5_seconds_is_quota_error_4_and_a_violation(sandbox):
    answers = [deezer(sandbox, "/track/isrc:GBAYE0601690") for _ in range(51)]
    assert all(a.status_code == 200 for a in answers)
    assert all("error" not in a.json() for a in answers[:50])
    assert answers[50].json()["error"] == {"type": "Exception", "message": "Quota limit exceeded", "code": 4}
    assert sandbox.sandbox.stats()["violations"] == {"deezer": 1}
    sandbox.world.clock.advance(5)
    assert "error" not in deezer(sandbox, "/track/isrc:GBAYE0601690").json()


def test_deezer_faults_are_deezer_shaped(sandbox):
    fault(sandbox, "GET /deezer/track/{ref}", 429)
    assert deezer(sandbox, "/track/isrc:GBAYE0601690").json()["error"]["code"] == 4
    fault(sandbox, "GET /deezer/track/{ref}", 502)
    assert deezer(sandbox, "/track/isrc:GBAYE0601690").status_code == 502
    assert sandbox.sandbox.stats()["violations"] == {}  # injected errors are not the client's fault


# --- Last.fm ------------------------------------------------------------------------------------


def test_lastfm_track_info_sends_numbers_as_strings_and_lists_tags(sandbox):
    track = lastfm(sandbox, method="track.getInfo", artist="The Beatles", track="Come Together").json()["track"]
    assert (track["listeners"], track["playcount"], track["duration"]) == ("1500000", "12000000", "0")
    assert track["toptags"]["tag"] == [{"name": "classic rock", "url": "https://www.last.fm/tag/classic+rock"},
                                       {"name": "60s", "url": "https://www.last.fm/tag/60s"}]


def test_lastfm_single_tag_is_an_object_not_a_list(sandbox):
    track = lastfm(sandbox, method="track.getInfo", artist="The Beatles", track="Something").json()["track"]
    assert track["toptags"]["tag"] == {"name": "ballad", "url": "https://www.last.fm/tag/ballad"}
    artist = lastfm(sandbox, method="artist.getInfo", artist="Daft Punk").json()["artist"]
    assert artist["tags"]["tag"]["name"] == "electronic" and artist["stats"]["listeners"] == "4000000"


def test_lastfm_names_match_whatever_the_case_and_spacing(sandbox):
    for autocorrect in ("0", "1"):
        track = lastfm(sandbox, method="track.getInfo", artist="the  beatles", track="COME TOGETHER", autocorrect=autocorrect)
        assert (track.json()["track"]["name"], track.json()["track"]["artist"]["name"]) == ("Come Together", "The Beatles")
    assert lastfm(sandbox, method="artist.getInfo", artist="DAFT PUNK").json()["artist"]["name"] == "Daft Punk"


def test_lastfm_autocorrect_follows_only_the_corrections_it_knows(sandbox):
    known = {"method": "track.getInfo", "artist": "The Beatles", "track": "come together - remastered 2009"}
    corrected = lastfm(sandbox, autocorrect="1", **known).json()["track"]
    assert (corrected["name"], corrected["artist"]["name"]) == ("Come Together", "The Beatles")
    assert lastfm(sandbox, autocorrect="0", **known).json()["error"] == 6  # no corrections without autocorrect
    unknown = {**known, "track": "Come Together (feat. Nobody) - Remastered 2009"}
    assert lastfm(sandbox, autocorrect="1", **unknown).json()["error"] == 6  # Last.fm does not strip credits itself


def test_lastfm_error_codes_live_in_the_body_whatever_the_status(sandbox):
    not_found = lastfm(sandbox, method="track.getInfo", artist="Nobody Known", track="Home Demo")
    assert (not_found.status_code, not_found.json()["error"], not_found.json()["message"]) == (200, 6, "Track not found")
    no_key = requests.get(f"{sandbox.base_urls['LASTFM_API_BASE']}/2.0/", params={"method": "track.getInfo"}, timeout=5)
    assert (no_key.status_code, no_key.json()["error"]) == (400, 6)
    unknown_method = lastfm(sandbox, method="tag.search")
    assert (unknown_method.status_code, unknown_method.json()["error"]) == (400, 3)
    unknown_artist = lastfm(sandbox, method="artist.getTopTags", artist="Nobody Known")
    assert unknown_artist.json() == {"error": 6, "message": "The artist you supplied could not be found", "links": []}


def test_lastfm_track_correction_top_tags_and_similar(sandbox):
    corrected = lastfm(sandbox, method="track.getCorrection", artist="the beatles", track="Come Together - Remastered 2009").json()
    assert corrected["corrections"]["correction"]["track"] == {"name": "Come Together", "artist": {"name": "The Beatles"}}
    assert lastfm(sandbox, method="track.getCorrection", artist="Nobody", track="Nothing").json() == {"corrections": "\n"}
    tags = lastfm(sandbox, method="track.getTopTags", artist="Daft Punk", track="One More Time").json()["toptags"]["tag"]
    assert [(t["name"], t["count"]) for t in tags] == [("house", 100), ("french touch", 90), ("electronic", 80)]
    similar = lastfm(sandbox, method="track.getSimilar", artist="Daft Punk", track="One More Time").json()
    assert similar["similartracks"]["track"] == []
    assert lastfm(sandbox, method="track.getSimilar", artist="Nobody", track="Nothing").json()["error"] == 6


def test_lastfm_top_tags_counts_are_numbers(sandbox):
    tags = lastfm(sandbox, method="artist.getTopTags", artist="The Beatles").json()["toptags"]
    assert tags["tag"][0] == {"count": 100, "name": "classic rock", "url": "https://www.last.fm/tag/classic+rock"}
    assert tags["@attr"] == {"artist": "The Beatles"}


def test_lastfm_over_5_requests_per_second_is_error_29_and_a_violation(sandbox):
    answers = [lastfm(sandbox, method="artist.getInfo", artist="Daft Punk").json() for _ in range(6)]
    assert all("artist" in a for a in answers[:5])
    assert answers[5]["error"] == 29
    assert sandbox.sandbox.stats()["violations"] == {"lastfm": 1}


def test_lastfm_faults_are_lastfm_shaped(sandbox):
    fault(sandbox, "GET /lastfm/2.0", 503)
    response = lastfm(sandbox, method="artist.getInfo", artist="Daft Punk")
    assert (response.status_code, response.json()["error"]) == (503, 16)


# --- MusicBrainz --------------------------------------------------------------------------------


def test_musicbrainz_refuses_requests_without_a_user_agent(sandbox):
    response = musicbrainz(sandbox, "/isrc/GBXXX2400001", headers={"User-Agent": ""})
    assert response.status_code == 403 and "has not identified itself" in response.json()["error"]


def test_musicbrainz_isrc_lookup_and_unknown_isrc(sandbox):
    body = musicbrainz(sandbox, "/isrc/GBXXX2400001", inc="artists+isrcs").json()
    assert body["isrc"] == "GBXXX2400001"
    [recording] = body["recordings"]
    assert (recording["title"], recording["length"], recording["isrcs"]) == ("Home Demo", 128500, ["GBXXX2400001"])
    assert recording["artist-credit"][0]["name"] == "Nobody Known"
    sandbox.world.clock.advance(1)
    missing = musicbrainz(sandbox, "/isrc/USQX91300108")
    assert missing.status_code == 404 and missing.json()["error"] == "Not Found"


def test_musicbrainz_search_scores_and_lookup_includes(sandbox):
    body = musicbrainz(sandbox, "/recording", query='recording:"home demo" AND artist:"Nobody Known"').json()
    assert body["count"] == 1 and body["recordings"][0]["score"] == 100
    assert "isrcs" not in body["recordings"][0] and "genres" not in body["recordings"][0]  # search hits carry neither
    sandbox.world.clock.advance(1)
    mbid = body["recordings"][0]["id"]
    recording = musicbrainz(sandbox, f"/recording/{mbid}", inc="genres+isrcs+artist-credits").json()
    assert [g["name"] for g in recording["genres"]] == ["lo-fi", "indie"] and recording["isrcs"] == ["GBXXX2400001"]
    sandbox.world.clock.advance(1)
    assert musicbrainz(sandbox, "/recording", query='recording:"Lost Song" AND artist:"Nobody Known"').json()["recordings"] == []


def test_musicbrainz_over_1_request_per_second_is_503_and_a_violation(sandbox):
    first = musicbrainz(sandbox, "/isrc/GBXXX2400001")
    second = musicbrainz(sandbox, "/isrc/GBXXX2400001")
    assert first.status_code == 200
    assert second.status_code == 503 and "exceeding the allowable rate limit" in second.json()["error"]
    assert sandbox.sandbox.stats()["violations"] == {"musicbrainz": 1}


def test_musicbrainz_faults_are_musicbrainz_shaped(sandbox):
    fault(sandbox, "GET /musicbrainz/ws/2/recording", 503)
    response = musicbrainz(sandbox, "/recording", query='recording:"Home Demo"')
    assert response.status_code == 503 and response.headers["retry-after"] == "0"
    assert "busy" in response.json()["error"]


def test_stats_count_each_service(sandbox):
    deezer(sandbox, "/track/isrc:GBAYE0601690")
    lastfm(sandbox, method="artist.getInfo", artist="Daft Punk")
    musicbrainz(sandbox, "/isrc/GBXXX2400001")
    by_service = sandbox.sandbox.stats()["by_service"]
    assert (by_service["deezer"], by_service["lastfm"], by_service["musicbrainz"]) == (1, 1, 1)
