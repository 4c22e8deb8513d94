"""Rule trees to Polars expressions: conditions and filters to boolean masks (never null), sources to
membership tests, and the "admitted by" labels of a filter."""

from __future__ import annotations

import datetime as dt

import polars as pl

from .fields import FIELDS, Kind
from .model import (All, ChildPlaylist, ChildSource, Condition, DifferenceSource, IntersectionSource, Node, Not,
                    PlaylistSource, Source, TopSource, UnionSource, conditions, describe, source_parts)

SEP = "\x1f"  # joins list elements into one string; rule texts may not contain it


def helper_columns(playlists: list[ChildPlaylist]) -> dict[str, pl.Expr]:
    """Columns computed once per frame that conditions share: lower-cased texts, joined lists."""
    helpers: dict[str, pl.Expr] = {}
    if any(_reads_playlists(p.source) for p in playlists):
        helpers["_playlists"] = _memberships()
    for p in playlists:
        for _, c in conditions(p.filter):
            field = FIELDS[c.field]
            if field.kind == Kind.TEXT and not c.case_sensitive and c.positive_op not in ("matches", "is_null"):
                helpers[f"_lc_{field.column}"] = pl.col(field.column).str.to_lowercase()
            if field.kind == Kind.TEXT_LIST and c.positive_op not in ("matches", "is_null"):
                joined = _joined(pl.col(field.column))
                helpers[_joined_name(c)] = joined if c.case_sensitive else joined.str.to_lowercase()
            if field.kind == Kind.PLAYLISTS:
                helpers["_playlists"] = _memberships()
    return helpers


def _joined(lists: pl.Expr) -> pl.Expr:
    """`[a, b]` -> `␟a␟b␟`: any-element tests become substring tests (empty list: `␟␟`)."""
    return pl.concat_str([pl.lit(SEP), lists.list.join(SEP), pl.lit(SEP)])


def _memberships() -> pl.Expr:
    """Ids and names of the playlists holding the track, joined: `␟id1␟id2␟name1␟name2␟`."""
    return pl.concat_str([pl.lit(SEP), pl.col("in_playlist").list.join(SEP).fill_null(""), pl.lit(SEP),
                          pl.col("playlist_names").list.join(SEP).fill_null(""), pl.lit(SEP)])


def _joined_name(c: Condition) -> str:
    return f"_joined_{'cs' if c.case_sensitive else 'lc'}_{FIELDS[c.field].column}"


def _reads_playlists(source: Source) -> bool:
    return any(isinstance(s, PlaylistSource) for _, s in source_parts(source))


def _in_playlists(names) -> pl.Expr:
    return pl.col("_playlists").str.contains_any([f"{SEP}{n}{SEP}" for n in names])


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
        lowered = c.case_sensitive or c.positive_op == "matches"
        return _text_test(column if lowered else pl.col(f"_lc_{field.column}"), c)
    if field.kind == Kind.TEXT_LIST:
        if c.positive_op == "matches":
            return column.list.eval(_text_test(pl.element(), c)).list.any()
        return _joined_test(pl.col(_joined_name(c)), c.positive_op, c.operand)
    if field.kind == Kind.PLAYLISTS:
        return _in_playlists(c.operand)
    if field.kind in (Kind.DATE, Kind.DATETIME):
        return _time_test(column.cast(pl.Datetime("us")) if field.kind == Kind.DATE else column, c, now)
    return _compare(column, c.positive_op, c.operand)


def _joined_test(joined: pl.Expr, op: str, operand) -> pl.Expr:
    """A test on any element of a list, as a substring test on the joined list."""
    if op == "in":  # one Aho-Corasick pass for all the values
        return joined.str.contains_any([f"{SEP}{v}{SEP}" for v in operand])
    needle = {"is": f"{SEP}{operand}{SEP}", "contains": operand, "starts_with": f"{SEP}{operand}",
              "ends_with": f"{operand}{SEP}"}[op]
    return joined.str.contains(needle, literal=True)


def _text_test(text: pl.Expr, c: Condition) -> pl.Expr:
    """`text` is already lower-cased unless the condition is case-sensitive or a regex."""
    if c.positive_op == "matches":
        return text.str.contains(c.operand)  # the pattern carries (?i) unless case-sensitive
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


def fixed_admission(node: Node) -> str | None:
    """The "admitted by" text when it is the same for every track (no `any` in the tree), else None."""
    if isinstance(node, (Condition, Not)):
        return node.label if isinstance(node, Condition) else describe(node)
    if isinstance(node, All):
        parts = [fixed_admission(n) for n in node.all]
        return None if None in parts else " and ".join(parts)
    return None


def admitted_expr(node: Node, now: dt.datetime) -> pl.Expr:
    """The conditions that admit a track which passes the filter, joined by " and ": every condition of an
    `all`, the passing branches of an `any`, a `not` as a whole."""
    if isinstance(node, Condition):
        return pl.lit(node.label)
    if isinstance(node, Not):
        return pl.lit(describe(node))
    if isinstance(node, All):
        return pl.concat_str([admitted_expr(n, now) for n in node.all], separator=" and ")
    # Only branches that pass contribute; at least one does, since the track passed the filter.
    return pl.concat_str([pl.when(filter_expr(n, now)).then(admitted_expr(n, now)) for n in node.any],
                         separator=" and ", ignore_nulls=True)


def source_expr(source: Source, tracklists: dict[str, pl.Series]) -> pl.Expr:
    """Membership in a source; `tracklists` holds the track uris of child playlists already evaluated."""
    if source == "library":  # every track the user has (not an `include`d one they do not have)
        return pl.col("_held").fill_null(True)
    if source == "liked":
        return pl.col("liked").fill_null(False)
    if isinstance(source, PlaylistSource):
        return _in_playlists([source.playlist])
    if isinstance(source, ChildSource):
        return pl.col("track_uri").is_in(tracklists[source.child].implode())
    if isinstance(source, TopSource):  # top tracks the user has not saved too; tracks by top artists only held ones
        ranked = pl.col(source.rank_column).is_not_null()
        return ranked if source.top == "tracks" else ranked & pl.col("_held").fill_null(True)
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
    if isinstance(source, TopSource):
        return f"top {source.top} ({source.range.replace('_', ' ')})"
    if isinstance(source, DifferenceSource):
        return " minus ".join(describe_source(s) for s in source.difference)
    key = "union" if isinstance(source, UnionSource) else "intersection"
    joiner = " or " if key == "union" else " and "
    return "(" + joiner.join(describe_source(s) for s in getattr(source, key)) + ")"


def selection_expr(p: ChildPlaylist, tracklists: dict[str, pl.Series], now: dt.datetime) -> pl.Expr:
    """Tracks of the child playlist before sort and limit: source and filter, plus always-include,
    minus always-exclude."""
    chosen = source_expr(p.source, tracklists) & filter_expr(p.filter, now)
    if p.include:
        chosen = chosen | pl.col("track_uri").is_in(p.include_uris)
    if p.exclude:
        chosen = chosen & ~pl.col("track_uri").is_in(p.exclude_uris)
    return chosen
