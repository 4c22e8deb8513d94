"""The tracklists asset and the `mixtape rules check` / `mixtape preview` commands on the demo warehouse."""

from __future__ import annotations

import textwrap

import polars as pl
import pytest

from assets.playlists.tracklists import SUMMARY_TABLE, TRACKLISTS_TABLE, read_features
from pipelines.cli import main
from tests.rules.demo_warehouse import materialize_tracklists

RULES = """\
defaults:
  - name: Fresh likes
    source: liked
    filter: {field: liked_at, op: in_the_last, value: 30d}
  - name: Popular
    filter: {field: popularity, op: gte, value: 50}
  - name: Typo
    filter: {field: bmp, op: gt, value: 100}
users:
  demo:
    - name: Party subset
      source: {playlist: Party road}
      sort: [{field: title}]
      limit: {count: 10}
"""


def _write(tmp_path, text: str, name: str = "playlists.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _metadata(result) -> dict:
    [materialization] = [m for m in result.asset_materializations_for_node("playlists__child_playlist_tracks")
                         if m.asset_key.path == ["playlists", "child_playlist_tracks"]]
    return {k: v.value for k, v in materialization.metadata.items()}


def test_the_asset_writes_valid_child_playlists_and_reports_the_invalid_ones(demo_built, tmp_path):
    warehouse, now = demo_built["warehouse"], demo_built["now"]
    result = materialize_tracklists(warehouse, demo_built["instance"], "demo", _write(tmp_path, RULES), now)
    assert result.success
    stored = warehouse.read(TRACKLISTS_TABLE, "demo")
    counts = dict(stored.group_by("child_playlist").len().iter_rows())
    metadata = _metadata(result)
    assert metadata["rows_per_child_playlist"] == counts
    assert set(counts) == {"Fresh likes", "Party subset"} and counts["Party subset"] == 10
    invalid = metadata["invalid_rules"]
    assert len(invalid) == 2
    assert any("defaults[1].filter.field" in e and "popularity" in e for e in invalid)  # devmode demo
    assert any("defaults[2].filter.field" in e and "did you mean 'bpm'" in e for e in invalid)
    features = read_features(warehouse, "demo")
    in_party = set(features.filter(pl.col("playlist_names").list.contains("Party road"))["track_uri"])
    party = stored.filter(pl.col("child_playlist") == "Party subset").sort("position")
    assert set(party["track_uri"]) <= in_party and party["position"].to_list() == list(range(10))


SUMMARY_RULES = """\
users:
  demo:
    - name: Road trip
      source: {playlist: Road trip gold}
    - name: Party or road trip
      source: {union: [{playlist: Party road}, {playlist: Road trip gold}]}
      include: [spotify:track:notInTheLibrary]
    - name: Too fast
      filter: {field: bpm, op: gt, value: 999}
    - name: Popular
      filter: {field: popularity, op: gte, value: 50}
"""


def test_empty_child_playlists_are_rows_of_the_summary_with_their_reason(demo_built, tmp_path):
    warehouse, now = demo_built["warehouse"], demo_built["now"]
    path = _write(tmp_path, SUMMARY_RULES)
    result = materialize_tracklists(warehouse, demo_built["instance"], "demo", path, now)
    assert result.success
    summary = {r["child_playlist"]: r for r in warehouse.read(SUMMARY_TABLE, "demo").to_dicts()}
    assert set(summary) == {"Road trip", "Party or road trip", "Too fast", "Popular"}
    road = summary["Road trip"]  # the user's playlist "Road trip gold" is empty: a valid source all the same
    assert (road["status"], road["tracks"]) == ("empty", 0)
    assert road["reason"] == "the source (playlist Road trip gold) holds none of the user's tracks"
    assert summary["Too fast"]["reason"] == "no track passes the filter"
    popular = summary["Popular"]  # devmode demo
    assert popular["status"] == "invalid" and "popularity" in popular["reason"] and popular["rule_hash"]
    stored = warehouse.read(TRACKLISTS_TABLE, "demo")
    party = stored.filter(pl.col("child_playlist") == "Party or road trip").sort("position")
    in_party = read_features(warehouse, "demo").filter(pl.col("playlist_names").list.contains("Party road")).height
    assert party["track_uri"][0] == "spotify:track:notInTheLibrary" and party["track_id"][0] == "notInTheLibrary"
    assert party.height == in_party + 1 > 1
    assert (summary["Party or road trip"]["status"], summary["Party or road trip"]["tracks"]) == ("built", in_party + 1)
    assert all(r["evaluated_at"] == now for r in summary.values())
    hashes = {n: r["rule_hash"] for n, r in summary.items()}

    edited = _write(tmp_path, SUMMARY_RULES.replace("value: 999", "value: 998"), "edited.yaml")
    assert materialize_tracklists(warehouse, demo_built["instance"], "demo", edited, now).success
    again = {r["child_playlist"]: r["rule_hash"] for r in warehouse.read(SUMMARY_TABLE, "demo").to_dicts()}
    assert again["Too fast"] != hashes["Too fast"]
    assert {n: h for n, h in again.items() if n != "Too fast"} == {n: h for n, h in hashes.items() if n != "Too fast"}
    [materialization] = [m for m in result.asset_materializations_for_node("playlists__child_playlist_tracks")
                         if m.asset_key.path == ["playlists", "child_playlists"]]
    assert materialization.metadata["empty"].value == 2 and materialization.metadata["invalid"].value == 1


def test_a_rule_file_that_does_not_parse_fails_the_run_and_keeps_the_tracklists(demo_built, tmp_path):
    warehouse, instance, now = demo_built["warehouse"], demo_built["instance"], demo_built["now"]
    assert materialize_tracklists(warehouse, instance, "demo", _write(tmp_path, RULES), now).success
    before = warehouse.read(TRACKLISTS_TABLE, "demo").sort("child_playlist", "position")
    broken = _write(tmp_path, RULES + "  - name: [oops\n", "broken.yaml")
    result = materialize_tracklists(warehouse, instance, "demo", broken, now)
    assert not result.success
    assert warehouse.read(TRACKLISTS_TABLE, "demo").sort("child_playlist", "position").equals(before)


def test_rules_check_prints_located_errors_and_exits_non_zero(tmp_path, capsys):
    assert main(["rules", "check", "--file", str(_write(tmp_path, RULES))]) == 1
    err = capsys.readouterr().err
    assert "playlists.yaml:8: defaults[2].filter.field: unknown field 'bmp' (got 'bmp'); did you mean 'bpm'?" in err
    good = _write(tmp_path, "users:\n  demo:\n    - {name: Fresh, source: liked}\n", "good.yaml")
    assert main(["rules", "check", "--file", str(good)]) == 0
    assert "no errors" in capsys.readouterr().out


@pytest.fixture
def demo_env(demo_built, monkeypatch):
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(demo_built["directory"]))
    monkeypatch.setenv("MIXTAPE_STORAGE", "duckdb")
    return demo_built


def test_preview_without_a_managed_playlist_says_it_would_be_created(demo_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # no cell cut
    path = _write(tmp_path, RULES)
    assert main(["preview", "Party subset", "--user", "demo", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "a push would create it with 10 tracks" in out and "│ playlist Party road\n" in out


def test_preview_diffs_against_the_managed_playlist(demo_env, tmp_path, capsys):
    warehouse = demo_env["warehouse"]
    party = warehouse.query("select playlist_id from raw.playlists where user_id = 'demo' and name = 'Party road'")
    managed = pl.DataFrame({"child_playlist": ["Party subset"], "child_id": ["Party subset"], "part": [1],
                            "playlist_id": party["playlist_id"],
                            "name": ["Party subset"], "created_at": [demo_env["now"]]})
    warehouse.replace_partition("ops.managed_playlists", "demo", managed)
    try:
        assert main(["preview", "Party subset", "--user", "demo", "--file", str(_write(tmp_path, RULES))]) == 0
        out = capsys.readouterr().out
        total = warehouse.query("select count(*) as n from raw.playlist_items where playlist_id = ?",
                                [party["playlist_id"][0]])["n"][0]
        assert f"add 0, remove {total - 10}" in out and f"of {total} tracks" in out
    finally:
        warehouse.replace_partition("ops.managed_playlists", "demo", managed.clear())


def test_preview_of_an_invalid_child_playlist_shows_its_error(demo_env, tmp_path, capsys):
    assert main(["preview", "Typo", "--user", "demo", "--file", str(_write(tmp_path, RULES))]) == 1
    assert "did you mean 'bpm'" in capsys.readouterr().err


def test_preview_of_a_child_playlist_over_an_empty_playlist_says_why_it_is_empty(demo_env, tmp_path, capsys):
    path = _write(tmp_path, SUMMARY_RULES)
    assert main(["preview", "Road trip", "--user", "demo", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Road trip is empty: the source (playlist Road trip gold) holds none of the user's tracks" in out
