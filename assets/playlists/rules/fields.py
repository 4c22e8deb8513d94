"""The rule fields, their kinds and operators, and the parsers for durations, spans and dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    TEXT_LIST = "text list"
    NUMBER = "number"
    BOOL = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    PLAYLISTS = "playlists"


# Spotify's top-items time ranges: about 4 weeks, 6 months and a year.
TOP_RANGES = ("short_term", "medium_term", "long_term")
# The windows of the `plays_last_<n>d` fields (sql/marts/track_features.sql counts them).
PLAY_WINDOWS_DAYS = (7, 30, 90, 365)


@dataclass(frozen=True)
class Field:
    name: str
    column: str
    kind: Kind
    doc: str

    @property
    def sortable(self) -> bool:
        return self.kind not in (Kind.TEXT_LIST, Kind.PLAYLISTS)


_FIELDS = [
    Field("title", "title", Kind.TEXT, "track title"),
    Field("artist", "artist", Kind.TEXT, "primary artist name"),
    Field("artists", "artists", Kind.TEXT_LIST, "all artist names"),
    Field("album", "album", Kind.TEXT, "album name"),
    Field("album_type", "album_type", Kind.TEXT, "album, single or compilation"),
    Field("release_date", "release_date", Kind.DATE, "album release date"),
    Field("release_year", "release_year", Kind.NUMBER, "album release year"),
    Field("decade", "decade", Kind.NUMBER, "release decade, e.g. 1990"),
    Field("duration", "duration_ms", Kind.NUMBER, "track length; values in seconds or m:ss"),
    Field("explicit", "explicit", Kind.BOOL, "explicit lyrics"),
    Field("track_number", "track_number", Kind.NUMBER, "position on the album"),
    Field("isrc", "isrc", Kind.TEXT, "ISRC code"),
    Field("is_local", "is_local", Kind.BOOL, "a local file"),
    Field("liked", "liked", Kind.BOOL, "in Liked Songs now"),
    Field("liked_at", "liked_at", Kind.DATETIME, "when it was liked"),
    Field("added_at", "added_at", Kind.DATETIME, "first time the user added it anywhere"),
    Field("in_playlist", "in_playlist", Kind.PLAYLISTS, "playlists (id or exact name) holding the track"),
    Field("genres", "genres", Kind.TEXT_LIST, "artist genres (Spotify, Last.fm, MusicBrainz)"),
    Field("tags", "tags", Kind.TEXT_LIST, "Last.fm track tags"),
    Field("bpm", "bpm", Kind.NUMBER, "tempo from Deezer"),
    Field("gain", "gain", Kind.NUMBER, "replay gain from Deezer (dB)"),
    Field("deezer_rank", "deezer_rank", Kind.NUMBER, "Deezer popularity rank"),
    Field("lastfm_listeners", "lastfm_listeners", Kind.NUMBER, "Last.fm listeners"),
    Field("lastfm_playcount", "lastfm_playcount", Kind.NUMBER, "Last.fm play count"),
    Field("popularity", "popularity", Kind.NUMBER, "Spotify popularity 0-100 (extended access only)"),
    Field("play_count", "play_count", Kind.NUMBER, "plays ever, from every source of plays (0 when never played)"),
    *[Field(f"plays_last_{days}d", f"plays_last_{days}d", Kind.NUMBER, f"plays in the last {days} days")
      for days in PLAY_WINDOWS_DAYS],
    Field("last_played_at", "last_played_at", Kind.DATETIME, "when it was last played (null: never)"),
    Field("skip_rate", "skip_rate", Kind.NUMBER, "share of its plays skipped, 0-1, where the export says"),
    *[Field(f"top_rank_{r}", f"top_rank_{r}", Kind.NUMBER, f"rank in the user's top tracks, {r} (null: not in them)")
      for r in TOP_RANGES],
    *[Field(f"top_artist_rank_{r}", f"top_artist_rank_{r}", Kind.NUMBER,
            f"best rank of its artists in the user's top artists, {r} (null: none in them)") for r in TOP_RANGES],
]
FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}
ALL_FIELDS = frozenset(FIELDS)
# Fields a development-mode Spotify app cannot fill: Spotify leaves them out of its answers to apps
# without extended quota access.
DEVMODE_MISSING = frozenset({"popularity"})


def available_fields(profile: str) -> frozenset[str]:
    """The rule fields an access profile ("devmode" or "extended") fills."""
    return ALL_FIELDS - DEVMODE_MISSING if profile == "devmode" else ALL_FIELDS

_TEXT_OPS = ["is", "is_not", "contains", "not_contains", "starts_with", "ends_with", "matches", "in", "not_in",
             "is_null", "is_not_null"]
_TIME_OPS = ["is", "is_not", "before", "after", "between", "in_the_last", "not_in_the_last", "is_null", "is_not_null"]
OPERATORS: dict[Kind, list[str]] = {
    Kind.TEXT: _TEXT_OPS,
    Kind.TEXT_LIST: _TEXT_OPS,
    Kind.NUMBER: ["is", "is_not", "gt", "gte", "lt", "lte", "between", "in", "not_in", "is_null", "is_not_null"],
    Kind.BOOL: ["is", "is_not", "is_null", "is_not_null"],
    Kind.DATE: _TIME_OPS,
    Kind.DATETIME: _TIME_OPS,
    Kind.PLAYLISTS: ["in_playlist", "not_in_playlist"],
}
ALL_OPERATORS = sorted({op for ops in OPERATORS.values() for op in ops})
# A negative operator matches exactly the tracks its positive one does not (missing values included).
NEGATIONS = {"is_not": "is", "not_contains": "contains", "not_in": "in", "not_in_the_last": "in_the_last",
             "not_in_playlist": "in_playlist", "is_not_null": "is_null"}

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 7 * 86400, "wk": 7 * 86400, "week": 7 * 86400, "weeks": 7 * 86400,
    "mo": 30 * 86400, "month": 30 * 86400, "months": 30 * 86400,
    "y": 365 * 86400, "yr": 365 * 86400, "year": 365 * 86400, "years": 365 * 86400,
}
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")
_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})\s*$")


def parse_span(text: object) -> dt.timedelta:
    """`30d`, `6 months`, `2 weeks`, `90 min`: a month is 30 days, a year 365 days."""
    match = _SPAN.match(text.lower()) if isinstance(text, str) else None
    if not match or match.group(2) not in _UNITS:
        raise ValueError("not a duration: write a number and a unit such as 30d, 2 weeks, 6 months, 1y")
    return dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_duration_ms(value: object) -> int:
    """A track length or playlist length: seconds (210), a clock (3:30, 1:02:00) or a span (90 min)."""
    if isinstance(value, bool):
        raise ValueError("not a duration: give seconds, m:ss or a span such as 90 min")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return round(value * 1000)
    if isinstance(value, str):
        clock = _CLOCK.match(value)
        if clock:
            hours, minutes, seconds = int(clock.group(1) or 0), int(clock.group(2)), int(clock.group(3))
            if seconds >= 60 or (clock.group(1) and minutes >= 60):
                raise ValueError("not a clock time: minutes and seconds go up to 59")
            return (hours * 3600 + minutes * 60 + seconds) * 1000
        return round(parse_span(value).total_seconds() * 1000)
    raise ValueError("not a duration: give seconds, m:ss or a span such as 90 min")


@dataclass(frozen=True)
class Instant:
    """A date or a moment. A date stands for its whole day: `start` is its midnight, `end` the next."""

    start: dt.datetime
    end: dt.datetime

    @property
    def is_day(self) -> bool:
        return self.end != self.start


def parse_instant(value: object) -> Instant:
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
        return Instant(moment, moment)
    if isinstance(value, dt.date):
        start = dt.datetime.combine(value, dt.time())
        return Instant(start, start + dt.timedelta(days=1))
    if isinstance(value, str):
        try:
            if len(value.strip()) == 10:
                return parse_instant(dt.date.fromisoformat(value.strip()))
            return parse_instant(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ValueError("not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")
