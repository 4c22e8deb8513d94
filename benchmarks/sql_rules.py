"""The child-playlist rules compiled to DuckDB SQL, as SQL-based playlist tools build them: one query per
child playlist, in dependency order, over the features table held in DuckDB.

It is a baseline of bench_rules beside the Polars engine and the per-track evaluator. It shares only
the validated rule model and its labels, not the semantics, which it restates in SQL: source and filter
in a `where`, the order as a window, dedupe with `qualify`, the duration limit as a running sum. Two
differences, both outside what it is measured on: the seeded shuffle hashes with DuckDB's `hash` (the
same work, another order), and dedupe by title and artist reads the catalog's keys (`title_key`,
`artist_key`; lower-cased title and artist where a row has none) instead of normalising in Python.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from assets.playlists.rules.compiler import describe_source, fixed_admission
from assets.playlists.rules.evaluator import ALWAYS_INCLUDED
from assets.playlists.rules.fields import ALL_FIELDS, FIELDS, Kind
from assets.playlists.rules.loader import check_against_data, dependency_order
from assets.playlists.rules.model import (All, ChildPlaylist, ChildSource, Condition, DifferenceSource,
                                          IntersectionSource, Not, PlaylistSource, Shuffle, TopSource, UnionSource,
                                          describe)

TABLE = "features"
COMPARISONS = {"is": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def load(con: duckdb.DuckDBPyConnection, features: pl.DataFrame, playlists: list[ChildPlaylist]) -> None:
    """The features as a DuckDB table (where a SQL tool keeps them), with `_held` and a row for every
    `include`d track the user lacks (uri and id only: it enters a playlist only through `include`)."""
    held = pl.col("in_library").fill_null(True) if "in_library" in features.columns else pl.lit(True)
    con.register("frame", features.with_columns(_held=held))
    con.execute(f"create or replace table {TABLE} as select * from frame")
    con.unregister("frame")
    wanted = list(dict.fromkeys(uri for p in playlists for uri in p.include_uris))
    if wanted:
        con.execute(f"""insert into {TABLE} (track_uri, track_id, is_local, _held)
            select uri, case when starts_with(uri, 'spotify:track:') then uri[15:] end,
                   starts_with(uri, 'spotify:local:'), false
            from unnest({literal(wanted)}) as t(uri)
            where uri not in (select track_uri from {TABLE})""")


def evaluate_sql(con: duckdb.DuckDBPyConnection, playlists: list[ChildPlaylist], *, user_id: str,
                 now: dt.datetime, available_fields=ALL_FIELDS, playlist_names: set[str] | None = None) -> pl.DataFrame:
    """Every child playlist's tracklist rows (user_id, child_playlist, position, track_uri, track_id,
    admitted_by), from the table `load` made."""
    if playlist_names is None:
        playlist_names = {name for (name,) in con.sql(
            f"select distinct unnest(list_concat(in_playlist, playlist_names)) from {TABLE}").fetchall()}
    usable, _ = check_against_data(playlists, available_fields, playlist_names)
    tables: dict[str, str] = {}
    for i, p in enumerate(dependency_order(usable)):
        tables[p.name] = f"child_{i}"
        con.execute(f"create or replace temp table child_{i} as {tracklist_sql(p, tables, now)}")
    if not usable:
        return pl.DataFrame()
    union = " union all ".join(f"select {literal(user_id)} as user_id, {literal(p.name)} as child_playlist, * "
                               f"from {tables[p.name]}" for p in usable)
    return con.sql(union).pl()


def tracklist_sql(p: ChildPlaylist, tables: dict[str, str], now: dt.datetime) -> str:
    included = f"track_uri in {one_of(p.include_uris)}" if p.include else "false"
    order = ", ".join([f"({included}) desc", *order_terms(p, now), "track_uri"])
    dedupe = ""
    if p.dedupe:
        dedupe = "qualify _key is null or row_number() over (partition by _key order by _order) = 1"
    limits = []
    if p.limit and p.limit.count:
        limits.append(f"_n <= {p.limit.count}")
    if p.limit and p.limit.duration_ms is not None:
        limits.append(f"_total <= {p.limit.duration_ms}")
    return f"""
        with chosen as (
            select track_uri, track_id, duration_ms, {dedupe_key(p.dedupe)} as _key,
                   case when {included} then {literal(ALWAYS_INCLUDED)} else {admitted_sql(p, now)} end as admitted_by,
                   row_number() over (order by {order}) as _order
            from {TABLE}
            where {selection_sql(p, tables, now)}
        ), kept as (
            select * from chosen {dedupe}
        ), numbered as (
            select *, row_number() over (order by _order) as _n,
                   sum(coalesce(duration_ms, 0)) over (order by _order rows unbounded preceding) as _total
            from kept
        )
        select _n - 1 as position, track_uri, track_id, admitted_by
        from numbered where {' and '.join(limits) or 'true'}
        order by _n"""


def selection_sql(p: ChildPlaylist, tables: dict[str, str], now: dt.datetime) -> str:
    chosen = f"({source_sql(p.source, tables)}) and ({filter_sql(p.filter, now)})"
    if p.include:
        chosen = f"({chosen}) or track_uri in {one_of(p.include_uris)}"
    if p.exclude:
        chosen = f"({chosen}) and track_uri not in {one_of(p.exclude_uris)}"
    return chosen


def source_sql(source, tables: dict[str, str]) -> str:
    if source == "library":
        return "_held"
    if source == "liked":
        return "coalesce(liked, false)"
    if isinstance(source, PlaylistSource):
        return in_playlists([source.playlist])
    if isinstance(source, ChildSource):
        return f"track_uri in (select track_uri from {tables[source.child]})"
    if isinstance(source, TopSource):
        held = "" if source.top == "tracks" else " and _held"
        return f"{source.rank_column} is not null{held}"
    if isinstance(source, UnionSource):
        return " or ".join(f"({source_sql(s, tables)})" for s in source.union)
    if isinstance(source, IntersectionSource):
        return " and ".join(f"({source_sql(s, tables)})" for s in source.intersection)
    assert isinstance(source, DifferenceSource)
    first, *others = source.difference
    return f"({source_sql(first, tables)}) and not (" + " or ".join(f"({source_sql(s, tables)})" for s in others) + ")"


def in_playlists(names) -> str:
    wanted = literal(list(names))
    return (f"coalesce(list_has_any(in_playlist, {wanted}), false) "
            f"or coalesce(list_has_any(playlist_names, {wanted}), false)")


def filter_sql(node, now: dt.datetime) -> str:
    if node is None:
        return "true"
    if isinstance(node, Condition):
        positive = f"coalesce({positive_sql(node, now)}, false)"
        return positive if node.op == node.positive_op else f"not {positive}"
    if isinstance(node, Not):
        return f"not ({filter_sql(node.not_, now)})"
    parts = node.all if isinstance(node, All) else node.any
    return (" and " if isinstance(node, All) else " or ").join(f"({filter_sql(n, now)})" for n in parts)


def positive_sql(c: Condition, now: dt.datetime) -> str:
    field = FIELDS[c.field]
    column = field.column
    if c.positive_op == "is_null":
        return f"{column} is null or len({column}) = 0" if field.kind == Kind.TEXT_LIST else f"{column} is null"
    if field.kind == Kind.TEXT:
        return text_sql(column, c)
    if field.kind == Kind.TEXT_LIST:
        return f"len(list_filter({column}, lambda x: coalesce({text_sql('x', c)}, false))) > 0"
    if field.kind == Kind.PLAYLISTS:
        return in_playlists(c.operand)
    if field.kind in (Kind.DATE, Kind.DATETIME):
        return time_sql(f"cast({column} as timestamp)" if field.kind == Kind.DATE else column, c, now)
    return compare_sql(column, c.positive_op, c.operand)


def text_sql(value: str, c: Condition) -> str:
    if c.positive_op == "matches":
        return f"regexp_matches({value}, {literal(c.operand)})"  # the pattern carries (?i) unless case-sensitive
    text = value if c.case_sensitive else f"lower({value})"
    op, operand = c.positive_op, c.operand
    if op == "is":
        return f"{text} = {literal(operand)}"
    if op == "in":
        return f"{text} in {one_of(operand)}"
    return {"contains": "contains", "starts_with": "starts_with", "ends_with": "ends_with"}[op] + f"({text}, {literal(operand)})"


def compare_sql(value: str, op: str, operand) -> str:
    if op == "between":
        return f"{value} between {literal(operand[0])} and {literal(operand[1])}"
    if op == "in":  # equality per value: the list may mix ints and floats
        return " or ".join(f"{value} = {literal(v)}" for v in operand)
    return f"{value} {COMPARISONS[op]} {literal(operand)}"


def time_sql(value: str, c: Condition, now: dt.datetime) -> str:
    op, at = c.positive_op, c.operand
    if op == "in_the_last":
        return f"{value} >= {literal(now - at)}"
    if op == "between":
        first, last = at
        upper = f"{value} < {literal(last.end)}" if last.is_day else f"{value} <= {literal(last.start)}"
        return f"{value} >= {literal(first.start)} and {upper}"
    if op == "before":
        return f"{value} < {literal(at.start)}"
    if op == "after":
        return f"{value} >= {literal(at.end)}" if at.is_day else f"{value} > {literal(at.start)}"
    if at.is_day:
        return f"{value} >= {literal(at.start)} and {value} < {literal(at.end)}"
    return f"{value} = {literal(at.start)}"


def admitted_sql(p: ChildPlaylist, now: dt.datetime) -> str:
    if p.filter is None:
        return literal(f"source: {describe_source(p.source)}")
    fixed = fixed_admission(p.filter)
    return literal(fixed) if fixed is not None else labels_sql(p.filter, now)


def labels_sql(node, now: dt.datetime) -> str:
    """The conditions that admit a passing track: every one of an `all`, the passing branches of an `any`."""
    if isinstance(node, Condition):
        return literal(node.label)
    if isinstance(node, Not):
        return literal(describe(node))
    if isinstance(node, All):
        return "concat_ws(' and ', " + ", ".join(labels_sql(n, now) for n in node.all) + ")"
    return "concat_ws(' and ', " + ", ".join(f"case when {filter_sql(n, now)} then {labels_sql(n, now)} end"
                                             for n in node.any) + ")"


def order_terms(p: ChildPlaylist, now: dt.datetime) -> list[str]:
    if isinstance(p.sort, Shuffle):
        return [f"hash(track_uri, {literal(p.sort.key(now))})"]
    terms = []
    for k in p.sort_keys:
        field = FIELDS[k.field]
        column = f"lower({field.column})" if field.kind == Kind.TEXT else field.column
        terms.append(f"{column} {k.order} nulls last")
    return terms


def dedupe_key(by: str | None) -> str:
    if by is None:
        return "null"
    if by == "title_artist":
        return "coalesce(title_key, lower(title), '') || chr(0) || coalesce(artist_key, lower(artist), '')"
    return by


def one_of(values) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def literal(value) -> str:
    """A Python value as a SQL literal."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    return "'" + str(value).replace("'", "''") + "'"
