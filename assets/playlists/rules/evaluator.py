"""Evaluate a user's child playlists over the track features frame, vectorised in Polars.

All selections of one dependency level (child playlists reading no other, then those reading only
those, ...) are computed in one pass over the frame. The few columns that ordering, dedupe and limits
read are sorted once per distinct sort order; each child playlist then picks its rows from that order
and is deduplicated, limited and explained on its own selection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from assets.normalise import normalise

from .compiler import (admitted_expr, describe_source, filter_expr, fixed_admission, helper_columns, selection_expr,
                       source_expr)
from .errors import RuleError
from .fields import ALL_FIELDS, FIELDS, Kind
from .loader import check_against_data, dependency_order
from .model import ChildPlaylist, Shuffle, child_dependencies, shuffle_seed

OUTPUT_SCHEMA = {"user_id": pl.String, "child_playlist": pl.String, "position": pl.Int64, "track_uri": pl.String,
                 "track_id": pl.String, "admitted_by": pl.String}
SUMMARY_SCHEMA = {"user_id": pl.String, "child_playlist": pl.String, "rule_hash": pl.String, "status": pl.String,
                  "tracks": pl.Int32, "unpushable": pl.Int32, "reason": pl.String}
ALWAYS_INCLUDED = "always include"
PUSHABLE_PREFIX = "spotify:track:"  # anything else (local files, episodes) cannot be added to a playlist


@dataclass
class Evaluation:
    tracks: pl.DataFrame
    errors: list[RuleError] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)  # child playlists built (some may be empty)
    # One row per child playlist: built | empty | invalid, its track count and why it is empty or invalid.
    summary: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUMMARY_SCHEMA))

    def counts(self) -> dict[str, int]:
        grouped = self.tracks.group_by("child_playlist").len()
        return {name: 0 for name in self.evaluated} | dict(zip(grouped["child_playlist"], grouped["len"]))

    def add_invalid(self, user_id: str, rows: list[tuple[str, str | None, str]]) -> None:
        """Summary rows for child playlists found invalid before evaluation: (name, rule hash, error)."""
        known = set(self.summary["child_playlist"])
        fresh = [dict(zip(SUMMARY_SCHEMA, (user_id, name, rule_hash, "invalid", 0, 0, reason)))
                 for name, rule_hash, reason in rows if name not in known]
        if fresh:
            self.summary = pl.concat([self.summary, pl.DataFrame(fresh, schema=SUMMARY_SCHEMA)])


def known_playlists(features: pl.DataFrame) -> set[str]:
    """Ids and names of the playlists that hold at least one of the user's tracks."""
    names = features.select(pl.concat([pl.col("in_playlist").explode(), pl.col("playlist_names").explode()]).unique())
    return set(names.to_series().drop_nulls().to_list())


def with_included(features: pl.DataFrame, playlists: list[ChildPlaylist],
                  unavailable: set[str] | frozenset[str] = frozenset()) -> pl.DataFrame:
    """The frame with `_held` (the user has the track: `in_library` not false) and one row for every `include`d
    track the frame lacks (a local file, or a track Spotify has no fields for): its uri and id, every other field
    missing. A track the user does not have enters a child playlist only through `include` (or a child source
    whose tracklist holds it), never through `library`. An `unavailable` uri (Spotify has no such track, so it
    cannot be added to a playlist) gets no row."""
    held = features.with_columns(_held=pl.col("in_library").fill_null(True))
    wanted = list(dict.fromkeys(uri for p in playlists for uri in p.include_uris if uri not in unavailable))
    if not wanted:
        return held
    missing = pl.Series("track_uri", wanted, dtype=pl.String)
    missing = missing.filter(~missing.is_in(features["track_uri"].implode()))
    if missing.is_empty():
        return held
    stubs = pl.DataFrame({"track_uri": missing}).with_columns(
        track_id=pl.when(pl.col("track_uri").str.starts_with(PUSHABLE_PREFIX))
        .then(pl.col("track_uri").str.strip_prefix(PUSHABLE_PREFIX)),
        is_local=pl.col("track_uri").str.starts_with("spotify:local:"),
        _held=pl.lit(False))
    return pl.concat([held, stubs], how="diagonal_relaxed")


def evaluate(features: pl.DataFrame, playlists: list[ChildPlaylist], *, user_id: str, now: dt.datetime,
             available_fields: set[str] | frozenset[str] = ALL_FIELDS,
             playlist_names: set[str] | None = None, unavailable: set[str] | frozenset[str] = frozenset()) -> Evaluation:
    """Tracklists of the user's child playlists; those that cannot be evaluated are reported and skipped.
    `playlist_names`: the user's playlist ids and names, every one a valid `{playlist: ...}` source, empty
    or not (default: those seen in the frame). `unavailable`: included uris Spotify has no track for, left out."""
    known = known_playlists(features) if playlist_names is None else playlist_names
    usable, errors = check_against_data(playlists, available_fields, known)
    frame = _prepared(with_included(features, usable, unavailable), usable)
    tracklists: dict[str, pl.DataFrame] = {}
    for level in _levels(dependency_order(usable)):
        children = {name: t["track_uri"] for name, t in tracklists.items()}
        # One pass over the frame computes the selections of the whole level; ordering, dedupe and limits
        # then read only the few columns they need, sorted once per distinct sort order.
        masks = frame.with_columns([selection_expr(p, children, now).alias(f"_m{i}") for i, p in enumerate(level)])
        narrow = frame.select(_narrow_columns(level, now))
        orders: dict[tuple, pl.Series] = {}
        for i, p in enumerate(level):
            key = _order_key(p, now)
            if key not in orders:
                orders[key] = narrow.select(_sort_order(p, now)).to_series()
            order = orders[key]
            chosen = order.filter(masks[f"_m{i}"].gather(order))
            tracklists[p.name] = _tracklist(narrow[chosen].lazy(), p, now).collect()
    tables = [tracklists[p.name].select(pl.lit(user_id).alias("user_id"), pl.lit(p.name).alias("child_playlist"),
                                        pl.all()) for p in usable]
    tracks = pl.concat(tables) if tables else pl.DataFrame(schema=OUTPUT_SCHEMA)
    children = {name: t["track_uri"] for name, t in tracklists.items()}
    rows = [_summary_row(user_id, p, tracklists[p.name], frame, children, now) for p in usable]
    skipped = {p.name for p in usable}
    for p in playlists:
        if p.name not in skipped:
            skipped.add(p.name)
            reason = next((str(e) for e in errors if e.playlist == p.name), "skipped")
            rows.append(dict(zip(SUMMARY_SCHEMA, (user_id, p.name, p.rule_hash, "invalid", 0, 0, reason))))
    summary = pl.DataFrame(rows, schema=SUMMARY_SCHEMA)
    return Evaluation(tracks.select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA), errors, [p.name for p in usable],
                      summary)


def _summary_row(user_id: str, p: ChildPlaylist, tracklist: pl.DataFrame, frame: pl.DataFrame,
                 children: dict[str, pl.Series], now: dt.datetime) -> dict:
    unpushable = int((~tracklist["track_uri"].str.starts_with(PUSHABLE_PREFIX)).sum())
    status, reason = ("built", None) if tracklist.height else ("empty", _why_empty(p, frame, children, now))
    return dict(zip(SUMMARY_SCHEMA, (user_id, p.name, p.rule_hash, status, tracklist.height, unpushable, reason)))


def _why_empty(p: ChildPlaylist, frame: pl.DataFrame, children: dict[str, pl.Series], now: dt.datetime) -> str:
    """Which step left an empty child playlist with nothing (computed only for the empty ones)."""
    in_source = source_expr(p.source, children)
    counts = frame.select(source=in_source.sum(), passing=(in_source & filter_expr(p.filter, now)).sum()).row(0)
    if counts[0] == 0:
        return f"the source ({describe_source(p.source)}) holds none of the user's tracks"
    if counts[1] == 0:
        return "no track passes the filter"
    if p.limit and p.limit.duration_ms is not None:
        chosen = frame.filter(selection_expr(p, children, now))
        if chosen.height:
            return "no track fits within the duration limit"
    return "every track that passes the filter is excluded"


def _levels(ordered: list[ChildPlaylist]) -> list[list[ChildPlaylist]]:
    """Group child playlists by depth: a level reads only the tracklists of earlier levels."""
    depth: dict[str, int] = {}
    for p in ordered:
        depth[p.name] = 1 + max((depth[c] for _, c in child_dependencies(p.source)), default=-1)
    return [[p for p in ordered if depth[p.name] == d] for d in range(max(depth.values(), default=-1) + 1)]


def _prepared(features: pl.DataFrame, playlists: list[ChildPlaylist]) -> pl.DataFrame:
    """The frame with a row index and the columns computed once for all child playlists: shared condition
    helpers, integer ranks for text sort keys and the uri tie-break, dedupe keys."""
    columns = {"_uri_rank": pl.col("track_uri").rank("ordinal"),
               **helper_columns(playlists)}
    for p in playlists:
        for k in p.sort_keys:
            if FIELDS[k.field].kind == Kind.TEXT:
                columns[f"_sort_{k.field}"] = pl.col(FIELDS[k.field].column).str.to_lowercase().rank("dense")
    for by in {p.dedupe for p in playlists} - {None}:
        key = _title_artist(features) if by == "title_artist" else pl.col(by)
        columns[f"_dedupe_{by}"] = key.rank("dense")  # small integers: cheaper to compare than text
    return features.with_columns(**columns)


def _title_artist(features: pl.DataFrame) -> pl.Expr:
    """The normalised title+artist key, from the frame's title_key/artist_key or computed here."""
    return pl.concat_str([_key(features, "title", "title_key").fill_null(""),
                          _key(features, "artist", "artist_key").fill_null("")], separator="\x00")


def _key(features: pl.DataFrame, name: str, key: str) -> pl.Expr:
    """normalise(name): the catalog's key where the frame has one; computed here where it does not (local
    files have no catalog entry, so each keeps its own title and artist)."""
    if key not in features.columns:
        return pl.col(name).replace_strict(_normalised(features[name]), return_dtype=pl.String)
    unkeyed = features.filter(pl.col(key).is_null())[name]
    if unkeyed.drop_nulls().is_empty():
        return pl.col(key)
    computed = pl.col(name).replace_strict(_normalised(unkeyed), default=None, return_dtype=pl.String)
    return pl.coalesce(pl.col(key), computed)


def _normalised(values: pl.Series) -> dict:
    return {v: normalise(v) for v in values.unique().to_list()}


def _narrow_columns(playlists: list[ChildPlaylist], now: dt.datetime) -> list[str]:
    """The columns ordering, dedupe, limit and "admitted by" read."""
    wanted = ["_uri_rank", "track_uri", "track_id", "duration_ms"]
    for p in playlists:
        wanted += [_sort_column(k.field) for k in p.sort_keys]
        wanted += [f"_dedupe_{p.dedupe}"] if p.dedupe else []
        if p.filter is not None and fixed_admission(p.filter) is None:
            wanted += admitted_expr(p.filter, now).meta.root_names()
    return list(dict.fromkeys(wanted))


def _sort_column(name: str) -> str:
    return f"_sort_{name}" if FIELDS[name].kind == Kind.TEXT else FIELDS[name].column


def _tracklist(rows: pl.LazyFrame, p: ChildPlaylist, now: dt.datetime) -> pl.LazyFrame:
    """Always-included first, dedupe, limit, number and explain one child playlist's selection, given in
    the playlist's sort order."""
    included = pl.col("track_uri").is_in(p.include_uris) if p.include else pl.lit(False)
    rows = rows.with_columns(_included=included)
    if p.include:
        rows = rows.sort("_included", descending=True, maintain_order=True)  # stable: keeps the sort order
    if p.dedupe:
        key = pl.col(f"_dedupe_{p.dedupe}")
        rows = rows.filter(key.is_null() | key.is_first_distinct())
    if p.limit and p.limit.count:
        rows = rows.head(p.limit.count)
    if p.limit and p.limit.duration_ms is not None:
        rows = rows.filter(pl.col("duration_ms").fill_null(0).cum_sum() <= p.limit.duration_ms)
    return rows.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("position"), "track_uri", "track_id",
                       _admitted(p, now).alias("admitted_by"))


def _admitted(p: ChildPlaylist, now: dt.datetime) -> pl.Expr:
    fixed = f"source: {describe_source(p.source)}" if p.filter is None else fixed_admission(p.filter)
    labels = pl.lit(fixed) if fixed is not None else admitted_expr(p.filter, now)
    return pl.when(pl.col("_included")).then(pl.lit(ALWAYS_INCLUDED)).otherwise(labels) if p.include else labels


def _order_key(p: ChildPlaylist, now: dt.datetime) -> tuple:
    if isinstance(p.sort, Shuffle):
        return ("shuffle", p.sort.key(now))
    return tuple((k.field, k.order) for k in p.sort_keys)


def _sort_order(p: ChildPlaylist, now: dt.datetime) -> pl.Expr:
    """Row numbers in the playlist's order: sort keys with missing values last, ties broken by track uri;
    or the seeded shuffle."""
    if isinstance(p.sort, Shuffle):
        rank = pl.col("track_uri").hash(seed=shuffle_seed(p.sort.key(now)))  # as model.shuffle_ranks
        return pl.arg_sort_by([rank, pl.col("_uri_rank")])
    keys = [pl.col(_sort_column(k.field)) for k in p.sort_keys]
    return pl.arg_sort_by([*keys, pl.col("_uri_rank")], nulls_last=True,
                          descending=[k.order == "desc" for k in p.sort_keys] + [False])
