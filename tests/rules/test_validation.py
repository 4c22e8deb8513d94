"""Bad rule files give errors that name the file, line, YAML path and value, with a suggestion."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest

from assets.playlists.rules import (DEVMODE_MISSING, ALL_FIELDS, RuleFileError, evaluate, features_frame, json_schema,
                                    load_rules, parse_rules)
from assets.playlists.rules.model import SCHEMA_PATH


def _rules(body: str):
    return parse_rules(textwrap.dedent(body), "playlists.yaml")


def _only_error(body: str):
    rules = _rules(body)
    errors = rules.all_errors()
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


GOOD = """\
users:
  demo:
    - name: Good
      source: liked
"""


@pytest.mark.parametrize("bad, line, path, value, suggestion, words", [
    ("      filter: {all: [{field: bpm, op: gt, value: 100}, {field: bmp, op: lt, value: 180}]}",
     6, "users.demo[1].filter.all[1].field", "bmp", "bpm", "unknown field"),
    ("      filter:\n        any:\n          - {field: genres, op: contians, value: rock}",
     8, "users.demo[1].filter.any[0].op", "contians", "contains", "unknown operator"),
    ("      filter: {field: title, op: gt, value: 3}",
     6, "users.demo[1].filter.op", "gt", None, "does not apply"),
    ("      filter: {field: bpm, op: gt, value: fast}",
     6, "users.demo[1].filter.value", "fast", None, "expects a number"),
    ("      filter: {field: liked, op: is, value: 'yes'}",
     6, "users.demo[1].filter.value", "yes", None, "true or false"),
    ("      filter: {not: {field: title, op: matches, value: '([a-z'}}",
     6, "users.demo[1].filter.not.value", "([a-z", None, "bad regular expression"),
    ("      filter: {field: title, op: matches, value: '(?<=x)y'}",
     6, "users.demo[1].filter.value", "(?<=x)y", None, "bad regular expression"),
    ("      filter: {field: liked_at, op: in_the_last, value: 30 dayz}",
     6, "users.demo[1].filter.value", "30 dayz", None, "not a duration"),
    ("      limit: {duration: 'ten minutes'}",
     6, "users.demo[1].limit.duration", "ten minutes", None, "not a duration"),
    ("      sort: [{field: genres}]",
     6, "users.demo[1].sort[0].field", "genres", None, "cannot sort"),
    ("      limt: {count: 3}",
     6, "users.demo[1].limt", {"count": 3}, "limit", "unknown key"),
    ("      source: likd",
     6, "users.demo[1].source", "likd", "liked", "unknown source"),
])
def test_each_bad_rule_is_located_with_its_value_and_a_suggestion(bad, line, path, value, suggestion, words):
    error = _only_error(GOOD + "    - name: Bad\n" + bad + "\n")
    assert (error.file, error.line, error.path, error.value) == ("playlists.yaml", line, path, value)
    assert error.suggestion == suggestion
    assert words in error.message
    assert error.playlist == "Bad"
    assert str(error).startswith(f"playlists.yaml:{line}: {path}: ")


def test_the_invalid_child_playlist_is_skipped_and_the_others_kept():
    rules = _rules(GOOD + "    - name: Bad\n      filter: {field: bmp, op: gt, value: 1}\n")
    playlists, errors = rules.for_user("demo")
    assert [p.name for p in playlists] == ["Good"]
    assert errors == [] and len(rules.errors) == 1


def test_duplicate_names_report_the_second_and_keep_the_first():
    error = _only_error(GOOD + "    - name: Good\n      source: library\n")
    assert (error.line, error.path, error.value) == (5, "users.demo[1].name", "Good")
    assert "duplicate" in error.message
    playlists, _ = _rules(GOOD + "    - name: Good\n      source: library\n").for_user("demo")
    assert [p.source for p in playlists] == ["liked"]


def test_a_cycle_between_child_playlists_is_reported_on_each_member_and_dependants_are_skipped():
    rules = _rules("""\
        users:
          demo:
            - name: A
              source: {child: B}
            - name: B
              source: {union: [liked, {child: A}]}
            - name: C
              source: {child: A}
            - name: D
              source: liked
        """)
    playlists, errors = rules.for_user("demo")
    assert [p.name for p in playlists] == ["D"]
    by_path = {e.path: e for e in errors}
    assert by_path["users.demo[0].source.child"].line == 4
    assert "cycle between child playlists: A -> B -> A" in by_path["users.demo[0].source.child"].message
    assert by_path["users.demo[1].source.union[1].child"].value == "A"
    assert by_path["users.demo[1].source.union[1].child"].line == 6
    assert "skipped" in by_path["users.demo[2].source.child"].message


def test_an_unknown_child_source_suggests_the_nearest_name():
    error = _only_error(GOOD + "    - name: Other\n      source: {child: Goud}\n")
    assert (error.line, error.path, error.value, error.suggestion) == (6, "users.demo[1].source.child", "Goud", "Good")


def test_a_file_that_does_not_parse_evaluates_nothing(tmp_path):
    path = tmp_path / "playlists.yaml"
    path.write_text(GOOD + "    - name: [unclosed\n")
    with pytest.raises(RuleFileError) as raised:
        load_rules(path)
    [error] = raised.value.errors
    assert error.file == str(path) and error.line == 6 and "not valid YAML" in error.message


def test_a_wrongly_shaped_file_evaluates_nothing():
    with pytest.raises(RuleFileError) as raised:
        parse_rules("users:\n  demo: {name: x}\nplaylists: []\n", "p.yaml")
    assert {(e.line, e.path) for e in raised.value.errors} == {(2, "users.demo"), (3, "playlists")}
    assert raised.value.errors[-1].suggestion is None or isinstance(raised.value.errors[-1].suggestion, str)


def test_defaults_apply_to_every_user_and_a_users_own_playlist_of_the_same_name_replaces_it():
    rules = _rules("""\
        defaults:
          - {name: Fresh, source: liked}
          - {name: All, source: library}
        users:
          demo:
            - {name: Fresh, source: {playlist: Gym}}
        """)
    assert [(p.name, p.source) for p in rules.for_user("someone")[0]] == [("Fresh", "liked"), ("All", "library")]
    demo = rules.for_user("demo")[0]
    assert [p.name for p in demo] == ["All", "Fresh"] and demo[1].source.playlist == "Gym"


def test_a_field_the_access_profile_lacks_is_an_error_for_that_child_playlist_only():
    rules = _rules(GOOD + "    - name: Popular\n      filter: {field: popularity, op: gte, value: 50}\n")
    playlists, _ = rules.for_user("demo")
    rows = [{"track_uri": "spotify:track:a", "track_id": "a", "liked": True, "in_playlist": [], "playlist_names": []}]
    result = evaluate(features_frame(rows), playlists, user_id="demo", now=dt.datetime(2026, 1, 1),
                      available_fields=ALL_FIELDS - DEVMODE_MISSING)
    [error] = result.errors
    assert (error.line, error.path, error.value) == (6, "users.demo[1].filter.field", "popularity")
    assert result.counts() == {"Good": 1}


def test_an_unknown_playlist_source_is_an_error_at_evaluation():
    rules = _rules(GOOD + "    - name: FromGym\n      source: {playlist: Gim}\n")
    rows = [{"track_uri": "spotify:track:a", "liked": True, "in_playlist": ["p1"], "playlist_names": ["Gym"]}]
    result = evaluate(features_frame(rows), rules.for_user("demo")[0], user_id="demo", now=dt.datetime(2026, 1, 1))
    [error] = result.errors
    assert (error.path, error.value, error.suggestion) == ("users.demo[1].source.playlist", "Gim", "Gym")
    assert result.counts() == {"Good": 1}


def test_the_committed_json_schema_is_up_to_date():
    assert json.loads(SCHEMA_PATH.read_text()) == json_schema()


def test_the_json_schema_knows_fields_and_operators():
    text = json.dumps(json_schema())
    for word in ("bpm", "in_the_last", "not_in_playlist", "shuffle", "title_artist", "intersection"):
        assert f'"{word}"' in text


def test_an_empty_child_playlist_is_counted_with_zero_tracks():
    rules = _rules(GOOD + "    - name: Nothing\n      filter: {field: bpm, op: gt, value: 1000}\n")
    rows = [{"track_uri": "spotify:track:a", "liked": True, "bpm": 120.0, "in_playlist": [], "playlist_names": []}]
    result = evaluate(features_frame(rows), rules.for_user("demo")[0], user_id="demo", now=dt.datetime(2026, 1, 1))
    assert result.counts() == {"Good": 1, "Nothing": 0}
