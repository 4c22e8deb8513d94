"""A child playlist's `id` (default: its name) is what its Spotify playlist is known by: it reaches
marts.child_playlists, and a duplicate id is an error naming both places (`mixtape rules check` exits 1)."""

from __future__ import annotations

import datetime as dt

from assets.playlists.rules import features_frame, parse_rules
from assets.playlists.tracklists import evaluate_user
from pipelines.cli import main

RULES = """\
defaults:
  - name: Running 160-180
    id: run
  - name: Nineties
  - name: Weekly shuffle
    id: weekly
    sort: {shuffle: weekly}
users:
  alice:
    - name: Weekly mix
      id: weekly
"""


def test_the_id_defaults_to_the_name_and_reaches_the_summary(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.replace("    - name: Weekly mix\n      id: weekly\n", "    - name: Nineties\n"))
    rules = parse_rules(path.read_text())
    assert [p.child_id for p in rules.for_user("bob")[0]] == ["run", "Nineties", "weekly"]
    features = features_frame([{"user_id": "alice", "track_uri": "spotify:track:t1", "track_id": "t1",
                                "added_at": dt.datetime(2024, 1, 1), "in_liked": True}])
    result = evaluate_user(features, path, "alice", dt.datetime(2024, 2, 1), playlist_names=set())
    ids = dict(result.summary.select("child_playlist", "child_id").iter_rows())
    assert ids == {"Running 160-180": "run", "Nineties": "Nineties", "Weekly shuffle": "weekly"}


def test_a_duplicate_id_in_one_list_is_an_error_naming_the_first():
    rules = parse_rules("defaults:\n  - name: Running\n    id: run\n  - name: Jogging\n    id: run\n"
                        "  - name: run\n")
    first, second = rules.errors
    assert (first.line, first.path, first.value) == (5, "defaults[1].id", "run")
    assert "defaults[0] ('Running', line 2) has it too" in first.message and first.playlist == "Jogging"
    assert (second.path, second.value) == ("defaults[2].name", "run")  # a name is the id of a rule without one
    assert [p.name for p in rules.for_user(None)[0]] == ["Running"]


def test_a_default_sharing_an_id_with_a_users_own_child_playlist_is_skipped_for_that_user():
    rules = parse_rules(RULES)
    kept, errors = rules.for_user("alice")
    assert [p.name for p in kept] == ["Running 160-180", "Nineties", "Weekly mix"]
    (error,) = errors
    assert error.path == "defaults[2].id" and "users.alice[0] ('Weekly mix', line 10) has it too" in error.message
    assert [p.name for p in rules.for_user("bob")[0]] == ["Running 160-180", "Nineties", "Weekly shuffle"]


def test_an_id_is_plain_text():
    (error,) = parse_rules("defaults:\n  - name: A\n    id: 'a]b'\n").errors
    assert error.path == "defaults[0].id" and "letters, digits" in error.message


def test_rules_check_reports_duplicate_ids(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    assert main(["rules", "check", "--file", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:6: defaults[2].id: duplicate child playlist id: users.alice[0] ('Weekly mix', line 10)" in err
