"""The checks a user cares about: rule file valid, pushed playlists equal their tracklists, enrichment coverage."""

from __future__ import annotations

import json

import pytest

from assets.enrichment.checks import MIN_COVERAGE, coverage_result
from assets.enrichment.sources import DEEZER_TRACKS
from assets.playlists.checks import pushed_mismatches, rule_file_errors
from resources.rule_file import RuleFile

A, B, C = "spotify:track:a", "spotify:track:b", "spotify:track:c"


def managed(child: str, part: int, uris: list[str] | None, intent: str | None = None) -> dict:
    return {"child_id": child, "part": part, "tracklist": None if uris is None else json.dumps(uris), "intent": intent}


def wanted(uris: list[str], status: str = "built") -> dict:
    return {"uris": uris, "status": status, "child_id": None}


def test_pushed_playlists_equal_their_tracklists_across_parts():
    assert pushed_mismatches({"Run": wanted([A, B, C])}, [managed("Run", 2, [C]), managed("Run", 1, [A, B])]) == []


def test_local_files_are_not_expected_on_spotify():
    assert pushed_mismatches({"Run": wanted([A, "spotify:local:x:y:z:1", B])}, [managed("Run", 1, [A, B])]) == []


@pytest.mark.parametrize("rows, says", [
    ([managed("Run", 1, [A])], "Spotify holds 1 tracks, the tracklist 2"),
    ([managed("Run", 1, [B, A])], "same tracks, other order"),
    ([], "not pushed yet (2 tracks)"),
    ([managed("Run", 1, [A, B], intent='{"op": "add"}')], "uncertain"),
])
def test_a_playlist_that_differs_is_named_with_why(rows, says):
    found = pushed_mismatches({"Run": wanted([A, B])}, rows)
    assert len(found) == 1 and found[0].startswith("Run: ") and says in found[0]


def test_invalid_and_empty_child_playlists_are_not_mismatches():
    assert pushed_mismatches({"Bad": wanted([], "invalid"), "Empty": wanted([], "empty")}, []) == []


def test_a_valid_rule_file_has_no_errors(tmp_path):
    rules = tmp_path / "playlists.yaml"
    rules.write_text("defaults:\n  - name: Fast\n    filter: {field: bpm, op: gte, value: 160}\n")
    assert rule_file_errors(RuleFile(path=str(rules))) == []


def test_a_failing_rule_file_check_names_the_error(tmp_path):
    rules = tmp_path / "playlists.yaml"
    rules.write_text("defaults:\n  - name: Fast\n    filter: {field: bpmm, op: gte, value: 160}\n")
    errors = rule_file_errors(RuleFile(path=str(rules)))
    assert errors and "bpmm" in errors[0] and str(rules) in errors[0]
    missing = rule_file_errors(RuleFile(path=str(tmp_path / "none.yaml")))
    assert missing and "cannot read the rule file" in missing[0]


def test_coverage_warns_below_the_threshold():
    low = coverage_result(DEEZER_TRACKS, {"wanted": 100, "coverage": MIN_COVERAGE - 0.01, "hits": 49})
    assert not low.passed and low.severity.value == "WARN" and "deezer_tracks answers 49% of 100" in low.description
    assert coverage_result(DEEZER_TRACKS, {"wanted": 100, "coverage": 0.9, "hits": 90}).passed
    assert coverage_result(DEEZER_TRACKS, None).passed  # asked about nothing
