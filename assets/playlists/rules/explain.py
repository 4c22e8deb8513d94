"""Why a track is in a child playlist, in the values it holds: `bpm 172.0 ∈ [160, 180]`, `duration 3:41 ≥ 2:00`,
and which part of the source holds it.

Each condition is tested with the compiler's own expressions, so an explanation never disagrees with the
evaluation; only the wording is made here. A relation is shown as it holds for the track (a condition
inside `not` shows the relation that kept it out of the `not`); of an `any`, only the branches that pass.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from .compiler import condition_expr, describe_source, filter_expr, helper_columns, source_expr
from .fields import FIELDS, Kind
from .model import All, AnyOf, ChildPlaylist, Condition, Node, Not, Source, UnionSource, conditions

MISSING = "missing"
# positive operator -> (the relation when it holds, when it does not)
RELATIONS = {
    "is": ("=", "≠"), "gt": (">", "≤"), "gte": ("≥", "<"), "lt": ("<", "≥"), "lte": ("≤", ">"),
    "between": ("∈", "∉"), "in": ("∈", "∉"),
    "contains": ("contains", "does not contain"), "starts_with": ("starts with", "does not start with"),
    "ends_with": ("ends with", "does not end with"), "matches": ("matches", "does not match"),
    "before": ("before", "not before"), "after": ("after", "not after"),
    "in_the_last": ("in the last", "not in the last"),
}
LIST_RELATIONS = {"is": ("∋", "∌"), "in": ("has one of", "has none of")}  # a text list against its values


def explain(p: ChildPlaylist, rows: pl.DataFrame, now: dt.datetime) -> list[list[str]]:
    """Per row of `rows` (the features of tracks in the child playlist), the conditions that admitted it
    with the values they read. A playlist without a filter explains nothing."""
    if p.filter is None:
        return [[] for _ in range(rows.height)]
    found = conditions(p.filter)
    branches = _any_branches(p.filter)
    masks = rows.with_columns(**helper_columns([p])).select(
        *[_holds(c, now).alias(f"_c{i}") for i, (_, c) in enumerate(found)],
        *[filter_expr(n, now).alias(f"_b{id(n)}") for n in branches],
    )
    index = {id(c): i for i, (_, c) in enumerate(found)}
    explained = []
    for row, mask in zip(rows.iter_rows(named=True), masks.iter_rows(named=True)):
        shown = _admitting(p.filter, lambda n: mask[f"_b{id(n)}"])
        explained.append([describe_value(c, row, mask[f"_c{index[id(c)]}"]) for c in shown])
    return explained


def _holds(c: Condition, now: dt.datetime) -> pl.Expr:
    """The condition's positive test (its negation's complement): the relation the values stand in."""
    tested = condition_expr(c, now)
    return tested if c.op == c.positive_op else ~tested


def _any_branches(node: Node) -> list[Node]:
    if isinstance(node, AnyOf):
        return [*node.any, *(b for n in node.any for b in _any_branches(n))]
    if isinstance(node, All):
        return [b for n in node.all for b in _any_branches(n)]
    return []  # inside `not` every condition is shown


def _admitting(node: Node, passes) -> list[Condition]:
    """The conditions shown for a track: every one of an `all` and of a `not`, the passing branches of an
    `any` (all of them for a track that passes none: an always-included one)."""
    if isinstance(node, Condition):
        return [node]
    if isinstance(node, Not):
        return [c for _, c in conditions(node.not_)]
    if isinstance(node, All):
        return [c for n in node.all for c in _admitting(n, passes)]
    chosen = [n for n in node.any if passes(n)] or node.any
    return [c for n in chosen for c in _admitting(n, passes)]


def describe_value(c: Condition, row: dict, holds: bool) -> str:
    """One condition as it stands for one track: the field, its value, the relation and the rule's value."""
    field = FIELDS[c.field]
    if field.kind == Kind.PLAYLISTS:
        return _playlists(c, row, holds)
    value = row.get(field.column)
    if c.positive_op == "is_null":
        return f"{c.field} {MISSING}" if holds else f"{c.field} {_value(field.name, value)}"
    if value is None:
        return f"{c.field} {MISSING}"
    if field.kind == Kind.BOOL:
        return f"{c.field} {_value(field.name, value)}"
    listed = field.kind == Kind.TEXT_LIST and c.positive_op in LIST_RELATIONS
    relation = (LIST_RELATIONS if listed else RELATIONS)[c.positive_op][0 if holds else 1]
    return f"{c.field} {_value(field.name, value)} {relation} {_operand(c)}"


def _playlists(c: Condition, row: dict, holds: bool) -> str:
    named = c.operand
    holding = set(row.get("in_playlist") or []) | set(row.get("playlist_names") or [])
    if holds:
        return "in playlist " + ", ".join(n for n in named if n in holding)
    return "in none of " + _listed(named) if len(named) > 1 else f"not in playlist {named[0]}"


def _operand(c: Condition) -> str:
    """The rule's value as written (durations as a clock: 2:00)."""
    op, written = c.positive_op, c.value
    if c.field == "duration":
        written = [_clock(ms) for ms in c.operand] if isinstance(c.operand, tuple) else _clock(c.operand)
        return _listed(written, "{}" if op == "in" else "[]") if isinstance(written, list) else written
    kind = FIELDS[c.field].kind
    if op == "matches":
        return f"/{written}/"
    if kind in (Kind.TEXT, Kind.TEXT_LIST) and op != "in":
        return _quoted(written)
    if op == "in":
        return _listed([_quoted(v) if isinstance(v, str) else v for v in written], "{}")
    if isinstance(written, list):
        return _listed(written)
    return str(written)


def _value(name: str, value) -> str:
    if name == "duration":
        return _clock(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, list):
        return _listed(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _clock(ms: int) -> str:
    """3:41, or 1:02:05 from an hour on."""
    minutes, seconds = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _quoted(text: str) -> str:
    return f'"{text}"'


def _listed(values, brackets: str = "[]") -> str:
    return brackets[0] + ", ".join(str(v) for v in values) + brackets[1]


def source_labels(source: Source, tracklists: dict[str, pl.Series]) -> pl.Expr:
    """Which part of the source holds each track: of a union, the parts that hold it (joined by " + "),
    else the source as a whole. Reads the frame `evaluator.with_included` and `helper_columns` prepare."""
    if isinstance(source, UnionSource):
        parts = [pl.when(source_expr(s, tracklists)).then(source_labels(s, tracklists)) for s in source.union]
        return pl.concat_str(parts, separator=" + ", ignore_nulls=True)
    return pl.lit(describe_source(source))
