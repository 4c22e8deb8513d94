"""`mixtape preview` on a real DuckDB warehouse holding the demo library: titles, artists, the values a rule of
three conditions read, the source, and the diff with the managed Spotify playlist the warehouse knows."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import polars as pl
import pytest

from assets.playlists.push import describe, marker_of, tracklist_hash
from assets.playlists.tracklists import read_features
from pipelines.cli import main
from sandbox.generator import demo_library
from tests.rules.demo_warehouse import demo_warehouse

CHILD = "Dance 120-140"
RULES = f"""\
users:
  demo:
    - name: {CHILD}
      source: {{union: [liked, {{playlist: Party road}}]}}
      filter:
        all:
          - {{field: bpm, op: between, value: [120, 140]}}
          - {{field: duration, op: gte, value: "3:00"}}
          - {{field: genres, op: contains, value: dance}}
      sort: [{{field: title}}]
      dedupe: title_artist
      limit: {{count: 6}}
    - name: Three likes
      source: liked
      sort: [{{field: title}}]
      limit: {{count: 3}}
    - name: Typo
      filter: {{field: bmp, op: gt, value: 100}}
    - name: Nothing that slow
      filter: {{field: bpm, op: lt, value: 1}}
"""
PUSHED_AT = dt.datetime(2026, 11, 30, 9, 0)
FOREIGN = "spotify:track:0000000000000000000000"  # in the Spotify playlist, not in the tracklist


def expected_tracks(features: pl.DataFrame) -> list[dict]:
    """The child playlist worked out by hand from the features: the three conditions, by title, one per
    title and artist, the first six."""
    chosen = [r for r in features.sort("title", "track_uri").iter_rows(named=True)
              if (r["liked"] or "Party road" in (r["playlist_names"] or []))
              and r["bpm"] is not None and 120 <= r["bpm"] <= 140 and r["duration_ms"] >= 180_000
              and any("dance" in g for g in r["genres"] or [])]
    seen, tracks = set(), []
    for r in chosen:
        if (r["title_key"], r["artist_key"]) not in seen:
            seen.add((r["title_key"], r["artist_key"]))
            tracks.append(r)
    return tracks[:6]


@pytest.fixture(scope="module")
def preview_env(tmp_path_factory):
    """The demo warehouse with the child playlist pushed once: its Spotify playlist then lost the first track,
    gained a foreign one and had two tracks swapped, and the last listing (after the push) shows the snapshot
    mixtape left, so the push would plan from what it pushed without a request to find or read it."""
    directory = tmp_path_factory.mktemp("preview")
    warehouse, _ = demo_warehouse(directory, demo_library(), ["demo"])
    tracks = expected_tracks(read_features(warehouse, "demo"))
    uris = [t["track_uri"] for t in tracks]
    held = [uris[1], uris[3], uris[2], *uris[4:], FOREIGN]
    marker = marker_of("demo", CHILD)
    warehouse.append("raw.playlists", pl.DataFrame([{
        "playlist_id": "mixtapeDance000000000", "name": CHILD, "owner_id": "demo", "snapshot_id": "snap-pushed",
        "description": describe(CHILD, marker), "items_total": len(held), "readable": True,
        "fetched_at": PUSHED_AT + dt.timedelta(hours=1)}]), user_id="demo")
    warehouse.replace_partition("ops.managed_playlists", "demo", pl.DataFrame([{
        "child_playlist": CHILD, "child_id": CHILD, "part": 1, "playlist_id": "mixtapeDance000000000",
        "name": CHILD, "created_at": PUSHED_AT, "tracklist_hash": tracklist_hash(held),
        "tracklist": json.dumps(held), "snapshot_id": "snap-pushed", "pushed_at": PUSHED_AT, "marker": marker}]))
    rules = directory / "playlists.yaml"
    rules.write_text(textwrap.dedent(RULES))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MIXTAPE_DATA_DIR", str(directory))
        env.setenv("MIXTAPE_STORAGE", "duckdb")
        env.setenv("MIXTAPE_RULES", str(rules))
        yield tracks


def test_the_tracklist_shows_titles_artists_and_the_values_each_condition_read(preview_env, capsys):
    assert main(["preview", CHILD, "--user", "demo", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert len(preview_env) == 6
    assert json.loads(out) == [
        {"position": n, "title": t["title"], "artist": t["artist"],
         "matched": f"bpm {t['bpm']} ∈ [120, 140]; duration {t['duration_ms'] // 60_000}:"
                    f"{round(t['duration_ms'] / 1000) % 60:02d} ≥ 3:00; "
                    f"genres [{', '.join(t['genres'])}] contains \"dance\"",
         "source": " + ".join(s for s, holds in (("liked songs", t["liked"]),
                                                 ("playlist Party road", "Party road" in t["playlist_names"]))
                              if holds)}
        for n, t in enumerate(preview_env)]
    assert "a push would add 1, remove 1, move 1 and keep 5 of 6 tracks (3 request(s))" in err


def test_the_table_is_followed_by_the_diff_with_spotify(preview_env, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["preview", CHILD, "--user", "demo", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert [cell.strip() for cell in lines[0].split("│")] == ["position", "title", "artist", "matched", "source"]
    assert [[cell.strip() for cell in line.split("│")][:3] for line in lines[2:4]] == [
        ["0", preview_env[0]["title"], preview_env[0]["artist"]], ["1", preview_env[1]["title"], preview_env[1]["artist"]]]
    assert out.endswith("... and 4 more (--limit)\n"
                        "a push would add 1, remove 1, move 1 and keep 5 of 6 tracks (3 request(s))\n")


def test_all_summarises_every_child_playlist(preview_env, capsys):
    assert main(["preview", "--all", "--user", "demo", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "child_playlist,tracks,to_add,to_remove,to_move,requests,status,note"
    assert lines[1] == f"{CHILD},6,1,1,1,3,valid,"
    # empty: a new playlist is created (1 request) with nothing to add
    assert lines[2] == "Nothing that slow,0,0,0,0,1,empty,no track passes the filter"
    assert lines[3] == "Three likes,3,3,0,0,2,valid,new playlist"  # create, then one add
    assert lines[4].startswith("Typo,0,,,,0,invalid,") and lines[4].endswith("did you mean 'bpm'?")
    assert len(lines) == 5


def test_a_child_playlist_without_a_filter_names_its_source_for_every_track(preview_env, capsys):
    assert main(["preview", "Three likes", "--user", "demo", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert [(row["position"], row["matched"], row["source"]) for row in json.loads(out)] == [
        (0, "", "liked songs"), (1, "", "liked songs"), (2, "", "liked songs")]
    assert err == "no managed Spotify playlist yet: a push would create it with 3 tracks (2 request(s))\n"


def test_an_invalid_child_playlist_shows_its_error(preview_env, capsys):
    assert main(["preview", "Typo", "--user", "demo"]) == 1
    assert "did you mean 'bpm'" in capsys.readouterr().err
