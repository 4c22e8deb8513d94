"""The documented semantics, checked by hand on small frames."""

from __future__ import annotations

import datetime as dt
import textwrap

from assets.playlists.rules import evaluate, features_frame, parse_rules

NOW = dt.datetime(2026, 11, 21, 12, 0)


def _track(n: int, **fields) -> dict:
    return {"track_id": f"t{n}", "track_uri": f"spotify:track:t{n}", "in_playlist": [], "playlist_names": [],
            "liked": False, **fields}


def _run(rows: list[dict], body: str) -> dict[str, list]:
    rules = parse_rules(textwrap.dedent(body), "t.yaml")
    assert rules.all_errors() == []
    tracks = evaluate(features_frame(rows), rules.for_user("u")[0], user_id="u", now=NOW).tracks
    return {name: list(zip(group["track_id"], group["admitted_by"]))
            for (name,), group in tracks.group_by("child_playlist", maintain_order=True)}


def test_any_names_only_the_branches_that_admit_the_track():
    rows = [_track(1, bpm=170.0, genres=["Rock"]), _track(2, bpm=90.0, genres=["indie ROCK"]), _track(3, bpm=90.0)]
    out = _run(rows, """\
        defaults:
          - name: x
            filter:
              any:
                - {field: bpm, op: gte, value: 160}
                - {field: genres, op: contains, value: rock}
            sort: [{field: track_number}]
        """)
    assert out["x"] == [("t1", "bpm gte 160 and genres contains rock"), ("t2", "genres contains rock")]


def test_duration_values_are_seconds_or_clock_times():
    rows = [_track(1, duration_ms=209_999), _track(2, duration_ms=210_000), _track(3, duration_ms=None)]
    out = _run(rows, """\
        defaults:
          - {name: short, filter: {field: duration, op: lt, value: "3:30"}}
          - {name: not long, filter: {field: duration, op: is_not, value: 210}}
        """)
    assert [t for t, _ in out["short"]] == ["t1"]
    assert sorted(t for t, _ in out["not long"]) == ["t1", "t3"]  # negative operators include missing values


def test_dates_mean_whole_days_and_spans_count_back_from_now():
    rows = [_track(1, liked=True, liked_at=dt.datetime(2026, 11, 1, 23, 59), release_date=dt.date(1999, 12, 31)),
            _track(2, liked=True, liked_at=dt.datetime(2026, 10, 22, 11, 0), release_date=dt.date(2000, 1, 1)),
            _track(3, liked=False)]
    out = _run(rows, """\
        defaults:
          - {name: on the day, filter: {field: liked_at, op: is, value: 2026-11-01}}
          - {name: last 30 days, filter: {field: liked_at, op: in_the_last, value: 30d}}
          - {name: nineties, filter: {field: release_date, op: before, value: 2000-01-01}}
          - {name: not recent, filter: {field: liked_at, op: not_in_the_last, value: 3 weeks}}
        """)
    assert [t for t, _ in out["on the day"]] == ["t1"]
    assert sorted(t for t, _ in out["last 30 days"]) == ["t1"]  # 2026-10-22 11:00 is 30 days and 1 hour ago
    assert [t for t, _ in out["nineties"]] == ["t1"]
    assert sorted(t for t, _ in out["not recent"]) == ["t2", "t3"]


def test_limit_by_duration_stops_before_the_first_track_that_would_exceed_it():
    rows = [_track(n, duration_ms=240_000, added_at=dt.datetime(2026, 1, n)) for n in range(1, 6)]
    out = _run(rows, """\
        defaults:
          - {name: ten minutes, limit: {duration: "10:00"}, sort: [{field: added_at}]}
        """)
    assert [t for t, _ in out["ten minutes"]] == ["t1", "t2"]


def test_include_comes_first_exclude_wins_and_dedupe_keeps_the_first():
    rows = [_track(1, isrc="A", title="B"), _track(2, isrc="A", title="A"), _track(3, isrc=None, title="C"),
            _track(4, isrc=None, title="D", liked=True)]
    out = _run(rows, """\
        defaults:
          - name: x
            source: liked
            include: [t3, spotify:track:t2, t1]
            exclude: [t1]
            sort: [{field: title, order: desc}]
            dedupe: isrc
        """)
    assert out["x"] == [("t3", "always include"), ("t2", "always include"), ("t4", "source: liked songs")]


def test_default_order_breaks_equal_and_missing_added_at_by_track_uri_whatever_the_row_order():
    same = dt.datetime(2026, 1, 1)
    rows = [_track(3, added_at=same), _track(5), _track(1, added_at=same), _track(2, added_at=dt.datetime(2026, 2, 1)),
            _track(4)]
    body = """\
        defaults:
          - {name: x}
        """
    expected = ["t2", "t1", "t3", "t4", "t5"]  # newest first, equal dates by uri, no date last by uri
    assert [t for t, _ in _run(rows, body)["x"]] == expected
    assert [t for t, _ in _run(rows[::-1], body)["x"]] == expected
