"""Property: the Polars engine and the per-track evaluator give identical tracklists and statuses, including
sources naming one of the user's playlists that holds none of their tracks, `include`d tracks the user does
not have, local files (deduplicated by their own title and artist) and child playlists left empty."""

from __future__ import annotations

import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.playlists.rules import evaluate, parse_rules
from benchmarks.naive_rules import evaluate_naive, summary_naive

from tests.rules.strategies import NOW, USER_PLAYLISTS, rule_files, track_rows, unheld_rows, warehouse_frame


class _WrittenOut(yaml.SafeDumper):
    """Every value written in full: a rule file may not use YAML aliases (a value drawn twice would be one)."""

    def ignore_aliases(self, data) -> bool:
        return True


def _both(rows: list[dict], rules: dict):
    rule_set = parse_rules(yaml.dump(rules, Dumper=_WrittenOut, sort_keys=False), "random.yaml")
    assert rule_set.errors == []
    playlists, errors = rule_set.for_user("u")
    assert errors == []
    result = evaluate(warehouse_frame(rows), playlists, user_id="u", now=NOW, playlist_names=USER_PLAYLISTS)
    fast = result.tracks.to_dicts()
    slow = evaluate_naive(rows, playlists, user_id="u", now=NOW, playlist_names=USER_PLAYLISTS)
    statuses = {r["child_playlist"]: (r["status"], r["tracks"], r["unpushable"]) for r in result.summary.to_dicts()}
    assert statuses == summary_naive(slow, playlists, playlist_names=USER_PLAYLISTS)
    assert all((r["reason"] is None) == (r["status"] == "built") for r in result.summary.to_dicts())
    return fast, slow


@settings(max_examples=int(os.environ.get("RULES_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=track_rows(), rules=rule_files())
def test_random_rules_over_random_tracks_agree(rows, rules):
    fast, slow = _both(rows, rules)
    assert fast == slow


@settings(max_examples=25, deadline=None)
@given(rows=track_rows(max_size=40), rules=rule_files(max_playlists=2), data=st.data())
def test_tracks_always_included_come_first_and_excluded_never_appear(rows, rules, data):
    uris = [r["track_uri"] for r in rows]
    target = rules["users"]["u"][-1]
    if uris:
        target["include"] = data.draw(st.lists(st.sampled_from(uris), max_size=3, unique=True))
        target["exclude"] = data.draw(st.lists(st.sampled_from(uris), max_size=2, unique=True))
    target.pop("limit", None)
    fast, slow = _both(rows, rules)
    assert fast == slow
    mine = [r for r in fast if r["child_playlist"] == target["name"]]
    excluded = {u if u.startswith("spotify:") else f"spotify:track:{u}" for u in target.get("exclude", [])}
    assert not excluded & {r["track_uri"] for r in mine}
    first = [r["admitted_by"] == "always include" for r in mine]
    assert first == sorted(first, reverse=True)


@settings(max_examples=int(os.environ.get("RULES_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=track_rows(max_size=20), unheld=unheld_rows(), rules=rule_files(max_playlists=3), data=st.data())
def test_included_tracks_the_user_does_not_have_sort_dedupe_and_limit_by_their_fields(rows, unheld, rules, data):
    """Tracks the user lacks, with their fields in the frame (as track_features gives them once fetched),
    enter only the child playlists that include them, read one that does, or read the user's top tracks (which
    need not be saved), first, ordered and deduplicated by their own fields; never through `library`, `liked`, a
    playlist source or top artists."""
    wanted = [r["track_uri"] for r in unheld]
    for playlist in rules["users"]["u"]:
        chosen = data.draw(st.lists(st.sampled_from(wanted), max_size=4, unique=True)) if wanted else []
        if chosen:
            playlist["include"] = [*playlist.get("include", []), *chosen]
    fast, slow = _both(rows + unheld, rules)
    assert fast == slow
    by_name = {p["name"]: p for p in rules["users"]["u"]}
    lacked = set(wanted)
    for row in fast:
        if row["track_uri"] in lacked and row["admitted_by"] != "always include":
            source = str(by_name[row["child_playlist"]]["source"])
            assert "child" in source or "'top': 'tracks'" in source  # only these sources carry them
