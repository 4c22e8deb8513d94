"""One play counted once, whichever sources saw it (pure: plain rows in and out).

The sources stamp a play differently:
- the Extended Streaming History export's `ts` is when the play ended (to the second), with how
  long it played (`ms_played`);
- recently-played's `played_at` is when the play ended too (Spotify's reference says only "the date
  and time the track was played"; observed, and as the sandbox does, it is the end), to the
  millisecond, without how long it played;
- a Last.fm scrobble is stamped with the play's start, and names the track only by artist and title.

Matching, with these tolerances:
- an export play and a polled play are one play when they name the same track and end within
  `END_TOLERANCE` of each other;
- a scrobble is the same play as a Spotify play (export or polled) of the same normalised artist and
  title when it started within that play: between its end minus its length (`ms_played`, else the
  track's duration) and its end, give or take `START_SLACK`.
Each play matches at most one play of another source (the nearest). What is kept comes from the
richest source that saw it: export, then recently-played, then Last.fm. A play only Last.fm knows
has no track id, no length, and its start as `played_at`.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, timedelta

from assets.normalise import normalise

END_TOLERANCE = timedelta(seconds=10)
START_SLACK = timedelta(seconds=30)
SOURCES = ("export", "recently_played", "lastfm")


def merge_plays(export: list[dict], polled: list[dict], scrobbles: list[dict]) -> list[dict]:
    """Rows of marts.plays (without user_id), oldest first."""
    plays = [_from_export(row) for row in export]
    plays += [_from_polled(row) for row in _unmatched_by_end(plays, polled)]
    plays += [_from_scrobble(row) for row in _unmatched_scrobbles(plays, scrobbles)]
    for play in plays:
        play.pop("length_ms")
    return sorted(plays, key=lambda p: (p["played_at"], p["source"]))


def _from_export(row: dict) -> dict:
    return {"played_at": row["played_at"], "track_id": row["track_id"], "track_name": row["track_name"],
            "artist_name": row["artist_name"], "album_name": row["album_name"], "ms_played": row["ms_played"],
            "source": "export", "skipped": row["skipped"], "length_ms": row["ms_played"]}


def _from_polled(row: dict) -> dict:
    return {"played_at": row["played_at"], "track_id": row["track_id"], "track_name": row["track_name"],
            "artist_name": row["artist_name"], "album_name": row["album_name"], "ms_played": None,
            "source": "recently_played", "skipped": None, "length_ms": row["duration_ms"]}


def _from_scrobble(row: dict) -> dict:
    return {"played_at": row["started_at"], "track_id": None, "track_name": row["track_name"],
            "artist_name": row["artist_name"], "album_name": row["album_name"], "ms_played": None,
            "source": "lastfm", "skipped": None, "length_ms": None}


class _Ends:
    """Plays grouped by a key, sorted by end, each usable once."""

    def __init__(self, plays: list[dict], key) -> None:
        groups: dict = defaultdict(list)
        for play in plays:
            groups[key(play)].append(play)
        self.groups = {k: sorted(v, key=lambda p: p["played_at"]) for k, v in groups.items()}
        self.ends = {k: [p["played_at"] for p in v] for k, v in self.groups.items()}
        self.used: set[int] = set()

    def nearest(self, key, low: datetime, high: datetime, fits, distance) -> dict | None:
        """The unused play under `key` ending in [low, high] that `fits`, with the least `distance`."""
        plays, ends = self.groups.get(key, []), self.ends.get(key, [])
        candidates = [p for p in plays[bisect.bisect_left(ends, low):bisect.bisect_right(ends, high)]
                      if id(p) not in self.used and fits(p)]
        if not candidates:
            return None
        chosen = min(candidates, key=distance)
        self.used.add(id(chosen))
        return chosen


def _unmatched_by_end(plays: list[dict], polled: list[dict]) -> list[dict]:
    ends = _Ends(plays, key=lambda p: p["track_id"])
    return [row for row in polled
            if ends.nearest(row["track_id"], row["played_at"] - END_TOLERANCE, row["played_at"] + END_TOLERANCE,
                            fits=lambda p: True, distance=lambda p, r=row: abs(p["played_at"] - r["played_at"])) is None]


def _name_key(play: dict) -> tuple[str, str]:
    return normalise(play["artist_name"]), normalise(play["track_name"])


def _unmatched_scrobbles(plays: list[dict], scrobbles: list[dict]) -> list[dict]:
    ends = _Ends(plays, key=_name_key)
    longest = timedelta(milliseconds=max((p["length_ms"] or 0 for p in plays), default=0))
    unmatched = []
    for row in scrobbles:
        start = row["started_at"]

        def started_within(play: dict, start: datetime = start) -> bool:
            length = timedelta(milliseconds=play["length_ms"] or 0)
            return play["played_at"] - length - START_SLACK <= start <= play["played_at"] + START_SLACK

        def distance(play: dict, start: datetime = start) -> timedelta:
            return abs(play["played_at"] - timedelta(milliseconds=play["length_ms"] or 0) - start)

        if ends.nearest(_name_key(row), start - START_SLACK, start + longest + START_SLACK, started_within, distance) is None:
            unmatched.append(row)
    return unmatched
