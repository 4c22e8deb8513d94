"""Rule trees to Polars expressions: conditions and filters to boolean masks (never null), sources to
membership tests, and the "admitted by" labels of a filter."""

from __future__ import annotations

import datetime as dt

import polars as pl

from .fields import FIELDS, Kind
from .model import (All, AnyOf, ChildPlaylist, ChildSource, Condition, DifferenceSource, IntersectionSource, Node,
                    Not, PlaylistSource, Source, UnionSource, describe)

_EMPTY = pl.lit([], dtype=pl.List(pl.String))


def condition_expr(c: Condition, now: dt.datetime) -> pl.Expr:
    """True where the track passes the condition. Positive operators never match a missing value;
    negative ones are exactly their positive's complement."""
    positive = _positive(c, now).fill_null(False)
    return positive if c.op == c.positive_op else ~positive


def _positive(c: Condition, now: dt.datetime) -> pl.Expr:
    field = FIELDS[c.field]
    column = pl.col(field.column)
    if c.positive_op == "is_null":
        return column.is_null() | (column.list.len() == 0) if field.kind == Kind.TEXT_LIST else column.is_null()
    if field.kind == Kind.TEXT:
        return _text_test(column, c)
    if field.kind == Kind.TEXT_LIST:
        return column.list.eval(_text_test(pl.element(), c)).list.any()
    if field.kind == Kind.PLAYLISTS:
        names = list(c.operand)
        return (column.list.eval(pl.element().is_in(names)).list.any()
                | pl.col("playlist_names").list.eval(pl.element().is_in(names)).list.any())
    if field.kind in (Kind.DATE, Kind.DATETIME):
        return _time_test(column.cast(pl.Datetime("us")) if field.kind == Kind.DATE else column, c, now)
    return _compare(column, c.positive_op, c.operand)


def _text_test(value: pl.Expr, c: Condition) -> pl.Expr:
    if c.positive_op == "matches":
        return value.str.contains(c.operand)  # the pattern carries (?i) unless case-sensitive
    text = value if c.case_sensitive else value.str.to_lowercase()
    op, operand = c.positive_op, c.operand
    if op == "is":
        return text == operand
    if op == "in":
        return text.is_in(list(operand))
    if op == "contains":
        return text.str.contains(operand, literal=True)
    if op == "starts_with":
        return text.str.starts_with(operand)
    return text.str.ends_with(operand)


def _compare(value: pl.Expr, op: str, operand) -> pl.Expr:
    if op == "between":
        return (value >= operand[0]) & (value <= operand[1])
    if op == "in":  # equality per value: the list may mix ints and floats
        return pl.any_horizontal([value == v for v in operand])
    return {"is": value.__eq__, "gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__,
            "lte": value.__le__}[op](operand)


def _time_test(value: pl.Expr, c: Condition, now: dt.datetime) -> pl.Expr:
    op, at = c.positive_op, c.operand
    if op == "in_the_last":
        return value >= now - at
    if op == "between":
        first, last = at
        return (value >= first.start) & ((value < last.end) if last.is_day else (value <= last.start))
    if op == "before":
        return value < at.start
    if op == "after":
        return value >= at.end if at.is_day else value > at.start
    return ((value >= at.start) & (value < at.end)) if at.is_day else (value == at.start)  # is


def filter_expr(node: Node | None, now: dt.datetime) -> pl.Expr:
    if node is None:
        return pl.lit(True)
    if isinstance(node, Condition):
        return condition_expr(node, now)
    if isinstance(node, Not):
        return ~filter_expr(node.not_, now)
    parts = [filter_expr(n, now) for n in (node.all if isinstance(node, All) else node.any)]
    return pl.all_horizontal(parts) if isinstance(node, All) else pl.any_horizontal(parts)


def admitted_expr(node: Node, now: dt.datetime) -> pl.Expr:
    """The conditions that admit a track which passes the filter: every condition of an `all`,
    the passing branches of an `any`, a `not` as a whole."""
    if isinstance(node, Condition):
        return pl.when(condition_expr(node, now)).then(pl.lit([node.label])).otherwise(_EMPTY)
    if isinstance(node, Not):
        return pl.when(filter_expr(node, now)).then(pl.lit([describe(node)])).otherwise(_EMPTY)
    if isinstance(node, All):
        return pl.concat_list([admitted_expr(n, now) for n in node.all])
    return pl.concat_list([pl.when(filter_expr(n, now)).then(admitted_expr(n, now)).otherwise(_EMPTY)
                           for n in node.any])


def source_expr(source: Source, tracklists: dict[str, list[str]]) -> pl.Expr:
    """Membership in a source; `tracklists` holds the track uris of child playlists already evaluated."""
    if source == "library":
        return pl.lit(True)
    if source == "liked":
        return pl.col("liked").fill_null(False)
    if isinstance(source, PlaylistSource):
        return (pl.col("in_playlist").list.contains(source.playlist)
                | pl.col("playlist_names").list.contains(source.playlist)).fill_null(False)
    if isinstance(source, ChildSource):
        return pl.col("track_uri").is_in(tracklists[source.child])
    if isinstance(source, UnionSource):
        return pl.any_horizontal([source_expr(s, tracklists) for s in source.union])
    if isinstance(source, IntersectionSource):
        return pl.all_horizontal([source_expr(s, tracklists) for s in source.intersection])
    first, *others = source.difference
    return source_expr(first, tracklists) & ~pl.any_horizontal([source_expr(s, tracklists) for s in others])


def describe_source(source: Source) -> str:
    if isinstance(source, str):
        return "liked songs" if source == "liked" else "library"
    if isinstance(source, PlaylistSource):
        return f"playlist {source.playlist}"
    if isinstance(source, ChildSource):
        return f"child playlist {source.child}"
    if isinstance(source, DifferenceSource):
        return " minus ".join(describe_source(s) for s in source.difference)
    key = "union" if isinstance(source, UnionSource) else "intersection"
    joiner = " or " if key == "union" else " and "
    return "(" + joiner.join(describe_source(s) for s in getattr(source, key)) + ")"


def selection_expr(p: ChildPlaylist, tracklists: dict[str, list[str]], now: dt.datetime) -> pl.Expr:
    """Tracks of the child playlist before sort and limit: source and filter, plus always-include,
    minus always-exclude."""
    chosen = source_expr(p.source, tracklists) & filter_expr(p.filter, now)
    if p.include:
        chosen = chosen | pl.col("track_uri").is_in(p.include_uris)
    if p.exclude:
        chosen = chosen & ~pl.col("track_uri").is_in(p.exclude_uris)
    return chosen
