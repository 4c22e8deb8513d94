"""A straightforward per-track evaluator of the child-playlist rules over plain row dicts.

It is the cross-check of the Polars engine in the property tests and the baseline of bench_rules.
It shares only the validated rule model, the checks against the data and the shuffle's hash, not the
semantics.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from assets.normalise import normalise
from assets.playlists.rules.compiler import describe_source
from assets.playlists.rules.evaluator import ALWAYS_INCLUDED
from assets.playlists.rules.fields import ALL_FIELDS, FIELDS, Kind
from assets.playlists.rules.loader import check_against_data, dependency_order
from assets.playlists.rules.model import (All, ChildPlaylist, ChildSource, Condition, DifferenceSource,
                                          IntersectionSource, Not, PlaylistSource, Shuffle, TopSource, UnionSource, describe,
                                          shuffle_ranks)


def evaluate_naive(rows: list[dict], playlists: list[ChildPlaylist], *, user_id: str, now: dt.datetime,
                   available_fields=ALL_FIELDS, playlist_names: set[str] | None = None) -> list[dict]:
    """Every child playlist's tracklist rows; `summary_naive` gives each one's status."""
    if playlist_names is None:
        playlist_names = {v for r in rows for key in ("in_playlist", "playlist_names") for v in r.get(key) or []}
    usable, _ = check_against_data(playlists, available_fields, playlist_names)
    held = {r["track_uri"] for r in rows}
    for uri in dict.fromkeys(u for p in usable for u in p.include_uris):  # included tracks the rows lack
        if uri not in held:
            rows = [*rows, {"track_uri": uri, "_held": False, "is_local": uri.startswith("spotify:local:"),
                            "track_id": uri.removeprefix("spotify:track:") if uri.startswith("spotify:track:")
                            else None}]
    tracklists: dict[str, list[dict]] = {}
    for p in dependency_order(usable):
        child_uris = {name: {r["track_uri"] for r in t} for name, t in tracklists.items()}
        chosen = [r for r in rows if selected(p, r, child_uris, now)]
        tracklists[p.name] = tracklist(chosen, p, now)
    return [{"user_id": user_id, "child_playlist": p.name, "position": i, "track_uri": r["track_uri"],
             "track_id": r.get("track_id"), "admitted_by": admitted_by(p, r, now)}
            for p in usable for i, r in enumerate(tracklists[p.name])]


def selected(p: ChildPlaylist, row: dict, child_uris: dict, now: dt.datetime) -> bool:
    if row["track_uri"] in p.exclude_uris:
        return False
    if row["track_uri"] in p.include_uris:
        return True
    return in_source(p.source, row, child_uris) and (p.filter is None or passes(p.filter, row, now))


def in_source(source, row: dict, child_uris: dict) -> bool:
    if source == "library":
        return row.get("_held", row.get("in_library") is not False)  # in_library false: included, not held
    if source == "liked":
        return bool(row.get("liked"))
    if isinstance(source, PlaylistSource):
        return source.playlist in (row.get("in_playlist") or []) or source.playlist in (row.get("playlist_names") or [])
    if isinstance(source, ChildSource):
        return row["track_uri"] in child_uris[source.child]
    if isinstance(source, TopSource):
        held = row.get("_held", row.get("in_library") is not False)
        return row.get(source.rank_column) is not None and (source.top == "tracks" or held)
    if isinstance(source, UnionSource):
        return any(in_source(s, row, child_uris) for s in source.union)
    if isinstance(source, IntersectionSource):
        return all(in_source(s, row, child_uris) for s in source.intersection)
    assert isinstance(source, DifferenceSource)
    first, *others = source.difference
    return in_source(first, row, child_uris) and not any(in_source(s, row, child_uris) for s in others)


def passes(node, row: dict, now: dt.datetime) -> bool:
    if isinstance(node, Condition):
        result = positive(node, row, now)
        return result if node.op == node.positive_op else not result
    if isinstance(node, Not):
        return not passes(node.not_, row, now)
    if isinstance(node, All):
        return all(passes(n, row, now) for n in node.all)
    return any(passes(n, row, now) for n in node.any)


def positive(c: Condition, row: dict, now: dt.datetime) -> bool:
    field = FIELDS[c.field]
    value = row.get(field.column)
    if c.positive_op == "is_null":
        return value is None or (field.kind == Kind.TEXT_LIST and len(value) == 0)
    if value is None:
        return False
    if field.kind == Kind.TEXT:
        return text_test(value, c)
    if field.kind == Kind.TEXT_LIST:
        return any(text_test(v, c) for v in value if v is not None)
    if field.kind == Kind.PLAYLISTS:
        return any(v in c.operand for v in [*value, *(row.get("playlist_names") or [])])
    if field.kind == Kind.DATE:
        return time_test(dt.datetime.combine(value, dt.time()), c, now)
    if field.kind == Kind.DATETIME:
        return time_test(value, c, now)
    return compare(value, c.positive_op, c.operand)


def text_test(value: str, c: Condition) -> bool:
    if c.positive_op == "matches":
        return re.search(c.operand, value) is not None
    text = value if c.case_sensitive else value.lower()
    op, operand = c.positive_op, c.operand
    if op == "is":
        return text == operand
    if op == "in":
        return text in operand
    if op == "contains":
        return operand in text
    if op == "starts_with":
        return text.startswith(operand)
    return text.endswith(operand)


def compare(value, op: str, operand) -> bool:
    if op == "between":
        return operand[0] <= value <= operand[1]
    if op == "in":
        return value in operand
    if op == "is":
        return value == operand
    if op == "gt":
        return value > operand
    if op == "gte":
        return value >= operand
    if op == "lt":
        return value < operand
    return value <= operand


def time_test(value: dt.datetime, c: Condition, now: dt.datetime) -> bool:
    op, at = c.positive_op, c.operand
    if op == "in_the_last":
        return value >= now - at
    if op == "between":
        first, last = at
        return value >= first.start and (value < last.end if last.is_day else value <= last.start)
    if op == "before":
        return value < at.start
    if op == "after":
        return value >= at.end if at.is_day else value > at.start
    return at.start <= value < at.end if at.is_day else value == at.start


def tracklist(rows: list[dict], p: ChildPlaylist, now: dt.datetime) -> list[dict]:
    rows = ordered(rows, p, now)
    if p.dedupe:
        rows = deduped(rows, p.dedupe)
    if p.limit and p.limit.count:
        rows = rows[: p.limit.count]
    if p.limit and p.limit.duration_ms is not None:
        kept, total = [], 0
        for r in rows:
            total += r.get("duration_ms") or 0
            if total > p.limit.duration_ms:
                break
            kept.append(r)
        rows = kept
    return rows


def ordered(rows: list[dict], p: ChildPlaylist, now: dt.datetime) -> list[dict]:
    """Always-included first; then the sort keys (missing values last) with ties by track uri."""
    rows = sorted(rows, key=lambda r: r["track_uri"])
    if isinstance(p.sort, Shuffle):
        # The shuffle's definition is a seeded Polars hash of the uri (shared, like `normalise`).
        ranks = shuffle_ranks(p.sort.key(now), pl.Series([r["track_uri"] for r in rows], dtype=pl.String)).to_list()
        rows = [r for _, r in sorted(zip(ranks, rows), key=lambda pair: pair[0])]
    else:
        for k in reversed(p.sort_keys):
            rows = sorted_by(rows, k.field, k.order == "desc")
    included = set(p.include_uris)
    return [r for r in rows if r["track_uri"] in included] + [r for r in rows if r["track_uri"] not in included]


def sorted_by(rows: list[dict], name: str, descending: bool) -> list[dict]:
    field = FIELDS[name]

    def value(r):
        v = r.get(field.column)
        return v.lower() if field.kind == Kind.TEXT else v

    present = [r for r in rows if r.get(field.column) is not None]
    missing = [r for r in rows if r.get(field.column) is None]
    return sorted(present, key=value, reverse=descending) + missing


def deduped(rows: list[dict], by: str) -> list[dict]:
    seen, kept = set(), []
    for r in rows:
        key = (f"{normalise(r.get('title'))}\x00{normalise(r.get('artist'))}" if by == "title_artist"
               else r.get(by))
        if key is None:
            kept.append(r)
        elif key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


def admitted_by(p: ChildPlaylist, row: dict, now: dt.datetime) -> str:
    if row["track_uri"] in p.include_uris:
        return ALWAYS_INCLUDED
    if p.filter is None:
        return f"source: {describe_source(p.source)}"
    return " and ".join(support(p.filter, row, now))


def support(node, row: dict, now: dt.datetime) -> list[str]:
    """The conditions that admit the row: all of an `all`, the passing branches of an `any`."""
    if isinstance(node, Condition):
        return [node.label] if passes(node, row, now) else []
    if isinstance(node, Not):
        return [describe(node)] if passes(node, row, now) else []
    if isinstance(node, All):
        return [label for n in node.all for label in support(n, row, now)]
    return [label for n in node.any if passes(n, row, now) for label in support(n, row, now)]


def summary_naive(tracks: list[dict], playlists: list[ChildPlaylist], *, available_fields=ALL_FIELDS,
                  playlist_names: set[str] | None = None, rows: list[dict] | None = None) -> dict[str, tuple]:
    """child playlist -> (status, tracks, unpushable): built or empty for those evaluated, invalid for the rest."""
    if playlist_names is None:
        playlist_names = {v for r in rows or [] for key in ("in_playlist", "playlist_names") for v in r.get(key) or []}
    usable, _ = check_against_data(playlists, available_fields, playlist_names)
    result = {p.name: ("invalid", 0, 0) for p in playlists}
    for p in usable:
        mine = [t for t in tracks if t["child_playlist"] == p.name]
        unpushable = sum(not t["track_uri"].startswith("spotify:track:") for t in mine)
        result[p.name] = ("built" if mine else "empty", len(mine), unpushable)
    return result
