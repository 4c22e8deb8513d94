"""The sandbox's GET /v1/me/top/{tracks,artists} through real spotipy: shapes of both profiles, paging,
time ranges, and top items that stay put within a day and move across days."""

from __future__ import annotations

import pytest
from spotipy import SpotifyException

from sandbox.top import SIZES, top_artist_ids, top_track_ids, track_scores
from tests.sandbox.helpers import call, control

RANGES = ["short_term", "medium_term", "long_term"]


def read_all(sp, kind: str, time_range: str) -> tuple[list[dict], int]:
    """Every top item of `kind`, paged by 50, and the requests it took."""
    read = sp.current_user_top_tracks if kind == "tracks" else sp.current_user_top_artists
    page = read(limit=50, offset=0, time_range=time_range)
    items, requests = list(page["items"]), 1
    while page["next"]:
        page = sp.next(page)
        items += page["items"]
        requests += 1
    assert len(items) == page["total"]
    return items, requests


@pytest.mark.parametrize("profile", ["devmode", "extended"])
def test_top_items_have_the_profiles_shapes(sandboxes, conforms, profile):
    running = sandboxes.start(profile=profile)
    sp = sandboxes.client(running)
    tracks = sp.current_user_top_tracks(limit=5, time_range="short_term")
    conforms(tracks, "paging")
    for track in tracks["items"]:
        conforms(track, "track")
        assert ("popularity" in track) == (profile == "extended")
    artists = sp.current_user_top_artists(limit=5, time_range="long_term")
    conforms(artists, "paging")
    for artist in artists["items"]:
        conforms(artist, "artist")
        assert bool({"popularity", "genres", "followers"} & set(artist)) == (profile == "extended")


@pytest.mark.parametrize("time_range", RANGES)
def test_pages_of_50_reach_every_top_item_once(sandboxes, demo, time_range):
    sp = sandboxes.client(demo)
    for kind in ("tracks", "artists"):
        items, requests = read_all(sp, kind, time_range)
        assert 0 < len(items) <= SIZES[time_range]
        assert len({i["id"] for i in items}) == len(items)
        assert requests == -(-len(items) // 50)
    library = demo.world.library
    known = {s.track_id for s in library.liked["demo"]} | {p.track_id for p in library.plays.get("demo", [])}
    known |= {i.track_id for p in library.playlists if p.owner == "demo" or "demo" in p.collaborators
              for i in p.items if i.track_id}
    assert {t["id"] for t in read_all(sp, "tracks", time_range)[0]} <= known


def test_the_default_range_is_medium_term_and_links_echo_it(sandboxes, demo):
    sp = sandboxes.client(demo)
    default = sp._get("me/top/tracks", limit=50)
    assert [t["id"] for t in default["items"]] == [t["id"] for t in sp.current_user_top_tracks(limit=50)["items"]]
    page = sp.current_user_top_artists(limit=10, offset=10, time_range="long_term")
    assert page["href"] == f"{demo.url}/v1/me/top/artists?offset=10&limit=10&time_range=long_term"
    assert page["previous"] == f"{demo.url}/v1/me/top/artists?offset=0&limit=10&time_range=long_term"


def test_bad_parameters(sandboxes, demo):
    token = sandboxes.token(demo)
    assert call(demo, "GET", "/v1/me/top/tracks?limit=51", token).json()["error"]["message"] == "Invalid limit"
    assert call(demo, "GET", "/v1/me/top/tracks?time_range=forever", token).status_code == 400
    assert call(demo, "GET", "/v1/me/top/albums", token).status_code == 404
    assert call(demo, "GET", "/v1/me/top/tracks", None).status_code == 401
    with pytest.raises(SpotifyException) as raised:
        sandboxes.client(demo).current_user_top_tracks(time_range="forever")
    assert raised.value.http_status == 400


def test_short_term_moves_from_day_to_day_and_long_term_less(sandboxes, demo):
    sp = sandboxes.client(demo)
    today = {r: [t["id"] for t in read_all(sp, "tracks", r)[0]] for r in RANGES}
    assert today == {r: [t["id"] for t in read_all(sp, "tracks", r)[0]] for r in RANGES}  # steady within a day
    control(demo, "POST", "clock", {"advance_s": 86400}).raise_for_status()
    sp = sandboxes.client(demo)
    tomorrow = {r: [t["id"] for t in read_all(sp, "tracks", r)[0]] for r in RANGES}
    assert tomorrow["short_term"] != today["short_term"]
    overlap = {r: len(set(today[r]) & set(tomorrow[r])) / len(today[r]) for r in RANGES}
    assert overlap["long_term"] >= overlap["short_term"]


def test_derivation_is_pure_and_artists_sum_their_tracks():
    scores = track_scores("u", ["a", "b", "c"], "short_term", 20000)
    assert scores == track_scores("u", ["a", "b", "c"], "short_term", 20000)
    assert all(0 <= s < 1 for s in scores.values())
    assert top_track_ids({"a": 0.2, "b": 0.9, "c": 0.5}, 2) == ["b", "c"]
    played = track_scores("u", ["a", "b"], "short_term", 20000, plays={"c": 10, "b": 5})
    assert set(played) == {"a", "b", "c"} and played["c"] >= 3 and 1.5 <= played["b"] < 2.5 and played["a"] < 1
    assert played["c"] > played["a"]  # the most played track beats any track never played
    # x has two middling tracks (0.2 + 0.5), y one good one (0.6)
    assert top_artist_ids({"a": 0.2, "b": 0.6, "c": 0.5}, {"a": ["x"], "b": ["y"], "c": ["x"]}, 5) == ["x", "y"]
