"""The track features frame the rules read: one row per user x track the user has, and per `include`d track they
do not have (sql/marts/track_features.sql)."""

from __future__ import annotations

import polars as pl

from assets.normalise import normalise
from assets.playlists.rules.fields import PLAY_WINDOWS_DAYS, TOP_RANGES

FEATURES_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.String,
    "track_id": pl.String,  # null for local files
    "track_uri": pl.String,
    "title": pl.String,
    "artist": pl.String,
    "artists": pl.List(pl.String),
    "album": pl.String,
    "album_type": pl.String,
    "release_date": pl.Date,
    "release_year": pl.Int64,
    "decade": pl.Int64,
    "duration_ms": pl.Int64,
    "explicit": pl.Boolean,
    "track_number": pl.Int64,
    "isrc": pl.String,
    "is_local": pl.Boolean,
    "liked": pl.Boolean,
    "liked_at": pl.Datetime("us"),
    "added_at": pl.Datetime("us"),
    "in_playlist": pl.List(pl.String),
    "playlist_names": pl.List(pl.String),
    "genres": pl.List(pl.String),
    "tags": pl.List(pl.String),
    "bpm": pl.Float64,
    "gain": pl.Float64,
    "deezer_rank": pl.Int64,
    "lastfm_listeners": pl.Int64,
    "lastfm_playcount": pl.Int64,
    "popularity": pl.Int64,
    "play_count": pl.Int64,
    **{f"plays_last_{days}d": pl.Int64 for days in PLAY_WINDOWS_DAYS},
    "last_played_at": pl.Datetime("us"),
    "skip_rate": pl.Float64,
    **{f"top_rank_{r}": pl.Int64 for r in TOP_RANGES},
    **{f"top_artist_rank_{r}": pl.Int64 for r in TOP_RANGES},
    "title_key": pl.String,  # normalise(title), for dedupe and Last.fm lookups
    "artist_key": pl.String,  # normalise(artist)
    "in_library": pl.Boolean,  # false: a track the rules include that the user does not have (null counts as true)
}


def features_frame(rows: list[dict]) -> pl.DataFrame:
    """A features frame from row dicts (tests, benchmarks); missing columns are null, missing keys computed."""
    keyed = [{**r, "title_key": r.get("title_key") or normalise(r.get("title")),
              "artist_key": r.get("artist_key") or normalise(r.get("artist"))} for r in rows]
    return pl.DataFrame([{k: r.get(k) for k in FEATURES_SCHEMA} for r in keyed], schema=FEATURES_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with exactly the schema's columns and types (extra columns dropped, missing ones null)."""
    return frame.select([(pl.col(k) if k in frame.columns else pl.lit(None)).cast(t).alias(k)
                         for k, t in FEATURES_SCHEMA.items()])

