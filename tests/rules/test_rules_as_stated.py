"""Rules as README states them: every playlist of the user is a source, `include` adds tracks the user does
not have, local files dedupe by their own title and artist, and an empty child playlist says why."""

from __future__ import annotations

import polars as pl

from assets.playlists.rules import evaluate, parse_rules
from tests.rules.strategies import NOW, warehouse_frame

PLAYLIST_NAMES = {"p1", "Gym", "p9", "Empty"}  # the user's playlists; "Empty" holds none of their tracks


def _row(i: int, **fields) -> dict:
    local = fields.get("is_local", False)
    return {"user_id": "u", "track_id": None if local else f"id{i}",
            "track_uri": f"spotify:local:A:B:T{i}:200" if local else f"spotify:track:id{i}", "is_local": local,
            "title": f"Song {i}", "artist": "Alpha", "liked": True, "in_playlist": ["p1"], "playlist_names": ["Gym"],
            **fields}


def _evaluate(rows: list[dict], text: str):
    playlists, errors = parse_rules(text, "r.yaml").for_user("u")
    assert errors == []
    return evaluate(warehouse_frame(rows), playlists, user_id="u", now=NOW, playlist_names=PLAYLIST_NAMES)


def _summary(result) -> dict:
    return {r["child_playlist"]: r for r in result.summary.to_dicts()}


def test_an_empty_playlist_of_the_user_is_a_valid_source():
    rows = [_row(1), _row(2)]
    result = _evaluate(rows, """\
users:
  u:
    - {name: Only empty, source: {playlist: Empty}}
    - {name: Liked or empty, source: {union: [liked, {playlist: p9}]}}
    - {name: Not mine, source: {playlist: Nowhere}}
""")
    assert [str(e) for e in result.errors if "Empty" in str(e) or "p9" in str(e)] == []
    assert result.counts() == {"Only empty": 0, "Liked or empty": 2}
    summary = _summary(result)
    assert summary["Only empty"]["status"] == "empty"
    assert summary["Only empty"]["reason"] == "the source (playlist Empty) holds none of the user's tracks"
    assert summary["Liked or empty"]["status"] == "built" and summary["Liked or empty"]["tracks"] == 2
    [error] = result.errors  # a playlist the user does not have is still an error
    assert "unknown playlist" in error.message and summary["Not mine"]["status"] == "invalid"
    assert "unknown playlist" in summary["Not mine"]["reason"]


def test_included_tracks_the_user_does_not_have_are_in_the_playlist_first():
    result = _evaluate([_row(1), _row(2)], """\
users:
  u:
    - name: Fast
      filter: {field: bpm, op: gt, value: 100}
      include: [id77, "spotify:track:id2", "spotify:local:X:Y:Z:100"]
    - {name: Library, source: library}
""")
    fast = result.tracks.filter(pl.col("child_playlist") == "Fast").sort("position")
    assert fast["track_uri"].to_list() == ["spotify:local:X:Y:Z:100", "spotify:track:id2", "spotify:track:id77"]
    assert fast["track_id"].to_list() == [None, "id2", "id77"]
    assert set(fast["admitted_by"]) == {"always include"}
    library = result.tracks.filter(pl.col("child_playlist") == "Library")
    assert set(library["track_uri"]) == {"spotify:track:id1", "spotify:track:id2"}  # not the included ones
    summary = _summary(result)
    assert (summary["Fast"]["status"], summary["Fast"]["tracks"], summary["Fast"]["unpushable"]) == ("built", 3, 1)


def test_local_files_dedupe_by_their_own_title_and_artist():
    rows = [_row(1, is_local=True, title="Intro", artist="Band A"),
            _row(2, is_local=True, title="Outro", artist="Band B"),
            _row(3, is_local=True, title="intro", artist="band a"),  # the same song as 1
            _row(4, title="Intro", artist="Band A")]
    result = _evaluate(rows, """\
users:
  u:
    - {name: Locals, filter: {field: is_local, op: is, value: true}, sort: [{field: title}], dedupe: title_artist}
""")
    assert sorted(result.tracks["track_uri"]) == ["spotify:local:A:B:T1:200", "spotify:local:A:B:T2:200"]
    assert _summary(result)["Locals"]["unpushable"] == 2


def test_an_empty_child_playlist_is_a_visible_result_with_its_reason():
    rows = [_row(1, bpm=90.0, duration_ms=400_000), _row(2, bpm=95.0, duration_ms=400_000)]
    result = _evaluate(rows, """\
users:
  u:
    - {name: Fast, filter: {field: bpm, op: gt, value: 150}}
    - {name: Excluded, filter: {field: bpm, op: lt, value: 100}, exclude: [id1, id2]}
    - {name: Short, limit: {duration: "5:00"}}
    - {name: Popular, filter: {field: popularity, op: gt, value: 1}}
""")
    summary = _summary(result)
    assert {n: (r["status"], r["tracks"], r["reason"]) for n, r in summary.items() if n != "Popular"} == {
        "Fast": ("empty", 0, "no track passes the filter"),
        "Excluded": ("empty", 0, "every track that passes the filter is excluded"),
        "Short": ("empty", 0, "no track fits within the duration limit"),
    }
    assert len({r["rule_hash"] for r in summary.values()}) == 4


def test_the_rule_hash_follows_the_rule_as_written():
    def hashes(text: str) -> dict:
        playlists, _ = parse_rules(text).for_user("u")
        return {p.name: p.rule_hash for p in playlists}

    before = hashes("defaults:\n  - {name: A, filter: {field: bpm, op: gt, value: 100}}\n  - {name: B}\n")
    reordered = hashes("defaults:\n  - {name: B}\n  - {filter: {value: 100, op: gt, field: bpm}, name: A}\n")
    edited = hashes("defaults:\n  - {name: A, filter: {field: bpm, op: gt, value: 101}}\n  - {name: B}\n")
    assert before == reordered
    assert edited["A"] != before["A"] and edited["B"] == before["B"]


def test_an_included_track_the_user_lacks_sorts_by_its_own_fields_and_one_spotify_lacks_is_left_out():
    lacked = {"liked": False, "in_playlist": [], "playlist_names": [], "in_library": False}
    fetched = [_row(7, title="Zebra", **lacked), _row(8, title="Aardvark", **lacked)]
    playlists, errors = parse_rules("""\
users:
  u:
    - {name: Titles, sort: [{field: title}], include: [id7, id8, id9, gone]}
    - {name: Library, source: library}
""", "r.yaml").for_user("u")
    assert errors == []
    result = evaluate(warehouse_frame([_row(1), *fetched]), playlists, user_id="u", now=NOW,
                      playlist_names=PLAYLIST_NAMES, unavailable={"spotify:track:gone"})
    titles = result.tracks.filter(pl.col("child_playlist") == "Titles").sort("position")
    # included first, by their own titles; id9, not fetched yet, has only its uri and sorts as missing values
    assert titles["track_uri"].to_list() == ["spotify:track:id8", "spotify:track:id7", "spotify:track:id9",
                                             "spotify:track:id1"]
    library = result.tracks.filter(pl.col("child_playlist") == "Library")
    assert library["track_uri"].to_list() == ["spotify:track:id1"]
