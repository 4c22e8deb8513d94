"""Evaluate a user's child playlists over the track features frame, vectorised in Polars.

All selections of one dependency level are computed in one pass over the frame; each child playlist
is then ordered, deduplicated and limited on its own (small) selection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from assets.normalise import normalise

from .compiler import admitted_expr, describe_source, selection_expr
from .errors import RuleError
from .fields import ALL_FIELDS, FIELDS, Kind
from .loader import check_against_data, dependency_order
from .model import ChildPlaylist, Shuffle, child_dependencies, shuffle_rank

OUTPUT_SCHEMA = {"user_id": pl.String, "child_playlist": pl.String, "position": pl.Int64, "track_uri": pl.String,
                 "track_id": pl.String, "admitted_by": pl.String}
ALWAYS_INCLUDED = "always include"


@dataclass
class Evaluation:
    tracks: pl.DataFrame
    errors: list[RuleError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        grouped = self.tracks.group_by("child_playlist").len()
        return dict(zip(grouped["child_playlist"], grouped["len"]))


def known_playlists(features: pl.DataFrame) -> set[str]:
    """Ids and names of the playlists that hold at least one of the user's tracks."""
    return {v for column in ("in_playlist", "playlist_names") for v in features[column].explode().drop_nulls()}


def evaluate(features: pl.DataFrame, playlists: list[ChildPlaylist], *, user_id: str, now: dt.datetime,
             available_fields: set[str] | frozenset[str] = ALL_FIELDS,
             playlist_names: set[str] | None = None) -> Evaluation:
    """Tracklists of the user's child playlists; those that cannot be evaluated are reported and skipped.
    `playlist_names`: the user's playlist ids and names (default: those seen in the frame)."""
    known = known_playlists(features) if playlist_names is None else playlist_names
    usable, errors = check_against_data(playlists, available_fields, known)
    features = _with_dedupe_keys(features, usable)
    tracklists: dict[str, pl.DataFrame] = {}
    for level in _levels(dependency_order(usable)):
        uris = {name: t["track_uri"].to_list() for name, t in tracklists.items()}
        masks = features.lazy().select(
            [selection_expr(p, uris, now).alias(f"m{i}") for i, p in enumerate(level)]).collect()
        for i, p in enumerate(level):
            tracklists[p.name] = _tracklist(features.filter(masks[f"m{i}"]), p, now)
    tables = [tracklists[p.name].select(pl.lit(user_id).alias("user_id"), pl.lit(p.name).alias("child_playlist"),
                                        pl.all()) for p in usable]
    tracks = pl.concat(tables) if tables else pl.DataFrame(schema=OUTPUT_SCHEMA)
    return Evaluation(tracks.select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA), errors)


def _levels(ordered: list[ChildPlaylist]) -> list[list[ChildPlaylist]]:
    """Group child playlists by depth: a level reads only the tracklists of earlier levels."""
    depth: dict[str, int] = {}
    for p in ordered:
        depth[p.name] = 1 + max((depth[c] for _, c in child_dependencies(p.source)), default=-1)
    return [[p for p in ordered if depth[p.name] == d] for d in range(max(depth.values(), default=-1) + 1)]


def _with_dedupe_keys(features: pl.DataFrame, playlists: list[ChildPlaylist]) -> pl.DataFrame:
    """The normalised title+artist key, from the frame's title_key/artist_key or computed once here."""
    if not any(p.dedupe == "title_artist" for p in playlists):
        return features
    if {"title_key", "artist_key"} <= set(features.columns):
        title, artist = pl.col("title_key"), pl.col("artist_key")
    else:
        title = pl.col("title").replace_strict(_normalised(features["title"]), return_dtype=pl.String)
        artist = pl.col("artist").replace_strict(_normalised(features["artist"]), return_dtype=pl.String)
    return features.with_columns(_title_artist=pl.concat_str([title.fill_null(""), artist.fill_null("")],
                                                             separator="\x00"))


def _normalised(values: pl.Series) -> dict:
    return {v: normalise(v) for v in values.unique().to_list()}


def _tracklist(rows: pl.DataFrame, p: ChildPlaylist, now: dt.datetime) -> pl.DataFrame:
    """Order (always-included first), dedupe, limit, number and explain one child playlist's selection."""
    rows = rows.with_columns(_included=pl.col("track_uri").is_in(p.include_uris))
    rows = _ordered(rows, p, now)
    if p.dedupe:
        key = pl.col("_title_artist" if p.dedupe == "title_artist" else p.dedupe)
        rows = rows.filter(key.is_null() | key.is_first_distinct())
    if p.limit and p.limit.count:
        rows = rows.head(p.limit.count)
    if p.limit and p.limit.duration_ms is not None:
        rows = rows.filter(pl.col("duration_ms").fill_null(0).cum_sum() <= p.limit.duration_ms)
    admitted = (admitted_expr(p.filter, now).list.join(" and ") if p.filter is not None
                else pl.lit(f"source: {describe_source(p.source)}"))
    return rows.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("position"), "track_uri", "track_id",
        pl.when(pl.col("_included")).then(pl.lit(ALWAYS_INCLUDED)).otherwise(admitted).alias("admitted_by"))


def _ordered(rows: pl.DataFrame, p: ChildPlaylist, now: dt.datetime) -> pl.DataFrame:
    """Sort keys with missing values last, ties broken by track uri; or the seeded shuffle."""
    if isinstance(p.sort, Shuffle):
        key = p.sort.key(now)
        ranks = pl.Series([shuffle_rank(key, uri) for uri in rows["track_uri"]], dtype=pl.UInt64)
        return rows.with_columns(_rank=ranks).sort(["_included", "_rank", "track_uri"],
                                                    descending=[True, False, False])
    keys = [_sort_value(k.field) for k in p.sort_keys]
    return rows.sort([pl.col("_included"), *keys, pl.col("track_uri")],
                     descending=[True, *(k.order == "desc" for k in p.sort_keys), False], nulls_last=True)


def _sort_value(name: str) -> pl.Expr:
    field = FIELDS[name]
    column = pl.col(field.column)
    return column.str.to_lowercase() if field.kind == Kind.TEXT else column
