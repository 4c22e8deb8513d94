"""The explanation of a track's place in a child playlist: the values its conditions read, each operator kind."""

import datetime as dt

import pytest
import yaml

from assets.playlists.rules import ChildPlaylist, features_frame
from assets.playlists.rules.explain import explain

NOW = dt.datetime(2026, 11, 30, 12, 0)
TRACK = {
    "track_uri": "spotify:track:a", "title": "Night Drive", "artist": "Kavinsky", "artists": ["Kavinsky", "Lovefoxxx"],
    "genres": ["synthwave", "electro"], "bpm": 172.0, "duration_ms": 221_000, "decade": 2010, "explicit": False,
    "release_date": dt.date(2010, 3, 1), "liked_at": dt.datetime(2026, 11, 20, 8, 30),
    "in_playlist": ["p1"], "playlist_names": ["Gym"], "lastfm_listeners": None,
}


def explained(rule_filter: str, **overrides) -> list[str]:
    rule = ChildPlaylist.model_validate({"name": "x", "filter": yaml.safe_load(rule_filter)})
    [lines] = explain(rule, features_frame([{**TRACK, **overrides}]), NOW)
    return lines


@pytest.mark.parametrize("rule_filter, expected", [
    ("{field: bpm, op: between, value: [160, 180]}", "bpm 172.0 ∈ [160, 180]"),
    ("{field: bpm, op: between, value: [100, 120]}", "bpm 172.0 ∉ [100, 120]"),
    ("{field: duration, op: gte, value: '2:00'}", "duration 3:41 ≥ 2:00"),
    ("{field: duration, op: lt, value: 180}", "duration 3:41 ≥ 3:00"),
    ("{field: decade, op: in, value: [1990, 2010]}", "decade 2010 ∈ {1990, 2010}"),
    ("{field: decade, op: is_not, value: 1990}", "decade 2010 ≠ 1990"),
    ("{field: title, op: contains, value: drive}", 'title "Night Drive" contains "drive"'),
    ("{field: title, op: not_contains, value: day}", 'title "Night Drive" does not contain "day"'),
    ("{field: artist, op: matches, value: '^kav'}", 'artist "Kavinsky" matches /^kav/'),
    ("{field: artist, op: in, value: [Kavinsky, Justice]}", 'artist "Kavinsky" ∈ {"Kavinsky", "Justice"}'),
    ("{field: genres, op: is, value: synthwave}", 'genres [synthwave, electro] ∋ "synthwave"'),
    ("{field: genres, op: not_in, value: [rock, metal]}", 'genres [synthwave, electro] has none of {"rock", "metal"}'),
    ("{field: explicit, op: is, value: false}", "explicit false"),
    ("{field: release_date, op: before, value: 2011-01-01}", "release_date 2010-03-01 before 2011-01-01"),
    ("{field: liked_at, op: in_the_last, value: 30d}", "liked_at 2026-11-20 08:30 in the last 30d"),
    ("{field: lastfm_listeners, op: is_null}", "lastfm_listeners missing"),
    ("{field: bpm, op: is_not_null}", "bpm 172.0"),
    ("{field: lastfm_listeners, op: lt, value: 1000}", "lastfm_listeners missing"),
    ("{op: in_playlist, value: Gym}", "in playlist Gym"),
    ("{op: not_in_playlist, value: [Chill, Sleep]}", "in none of [Chill, Sleep]"),
])
def test_each_operator_kind_shows_the_value_and_how_it_stands(rule_filter, expected):
    assert explained(rule_filter) == [expected]


def test_an_all_shows_every_condition_in_order():
    rule = "{all: [{field: bpm, op: between, value: [160, 180]}, {field: duration, op: gte, value: '2:00'}, " \
           "{not: {field: explicit, op: is, value: true}}]}"
    assert explained(rule) == ["bpm 172.0 ∈ [160, 180]", "duration 3:41 ≥ 2:00", "explicit false"]


def test_an_any_shows_only_the_branches_that_pass():
    rule = "{any: [{field: bpm, op: gt, value: 200}, {field: decade, op: is, value: 2010}]}"
    assert explained(rule) == ["decade 2010 = 2010"]
    assert explained(rule, bpm=210.0) == ["bpm 210.0 > 200", "decade 2010 = 2010"]


def test_a_condition_inside_not_shows_the_relation_that_kept_the_track_out():
    assert explained("{not: {field: genres, op: contains, value: rock}}") == [
        'genres [synthwave, electro] does not contain "rock"']


def test_long_durations_read_as_hours():
    assert explained("{field: duration, op: gt, value: 3600}", duration_ms=3_725_000) == ["duration 1:02:05 > 1:00:00"]


def test_no_filter_explains_nothing():
    rule = ChildPlaylist.model_validate({"name": "x", "source": "liked"})
    assert explain(rule, features_frame([TRACK, TRACK]), NOW) == [[], []]
