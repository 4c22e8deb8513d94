"""Top items, pure: which time ranges are due a read, the rows one read makes, the day's history
kept beside the other days, and top albums ranked from top tracks (as seed 003 derives them).

Plain data in and out: no Dagster, no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

RANGES = ("short_term", "medium_term", "long_term")


def due_ranges(last_read: dict[str, datetime], now: datetime, ttl: timedelta) -> list[str]:
    """The time ranges never read, or last read `ttl` or longer ago: a fresher read is its own cache."""
    return [r for r in RANGES if r not in last_read or now - last_read[r] >= ttl]


def track_rows(items: list[dict], time_range: str, now: datetime) -> list[dict]:
    """One row per top track object, ranked from 1 in the order Spotify lists them."""
    return [{
        "time_range": time_range, "day": now.date(), "rank": rank, "track_id": item["id"], "name": item.get("name"),
        "artist_ids": [a.get("id") for a in item.get("artists") or []],
        "artist_names": [a.get("name") for a in item.get("artists") or []],
        "album_id": (item.get("album") or {}).get("id"), "album_name": (item.get("album") or {}).get("name"),
        "album_type": (item.get("album") or {}).get("album_type"),
        "popularity": item.get("popularity"), "read_at": now,
    } for rank, item in enumerate(items, start=1)]


def artist_rows(items: list[dict], time_range: str, now: datetime) -> list[dict]:
    """One row per top artist object, ranked from 1 in the order Spotify lists them."""
    return [{
        "time_range": time_range, "day": now.date(), "rank": rank, "artist_id": item["id"], "name": item.get("name"),
        "genres": list(item.get("genres") or []), "popularity": item.get("popularity"), "read_at": now,
    } for rank, item in enumerate(items, start=1)]


def with_history(old: list[dict], new: list[dict], ranges: Iterable[str], day: date) -> list[dict]:
    """The user's rows after a read of `ranges` on `day`: that day's earlier rows of those ranges give
    way to the new ones; every other day and range stays."""
    replaced = set(ranges)
    return [r for r in old if not (r["time_range"] in replaced and r["day"] == day)] + new


def top_albums(tracks: list[dict]) -> list[dict]:
    """Albums ranked from top-track rows, separately per (time range, day). Singles are left out, as
    seed 003 does. Each of an album's tracks adds its rank weight, (n - rank + 1) / n for a list of n
    (the top track 1, the last 1/n), times its popularity / 100 where every track of that list has a
    popularity (the extended profile); development mode has none, so rank alone ranks."""
    lists: dict[tuple[str, date], list[dict]] = {}
    for row in tracks:
        lists.setdefault((row["time_range"], row["day"]), []).append(row)
    albums = []
    for (time_range, day), rows in sorted(lists.items()):
        albums += _rank_albums(time_range, day, rows)
    return albums


def _rank_albums(time_range: str, day: date, rows: list[dict]) -> list[dict]:
    n = len(rows)
    by_popularity = all(r["popularity"] is not None for r in rows)
    found: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r["rank"]):
        if not row["album_id"] or row["album_type"] == "single":
            continue
        weight = (n - row["rank"] + 1) / n * (row["popularity"] / 100 if by_popularity else 1)
        album = found.setdefault(row["album_id"], {
            "time_range": time_range, "day": day, "album_id": row["album_id"], "name": row["album_name"],
            "album_type": row["album_type"], "artist_names": row["artist_names"], "score": 0.0, "top_tracks": 0,
            "best_track_rank": row["rank"], "scored_by": "rank_and_popularity" if by_popularity else "rank",
            "read_at": row["read_at"],
        })
        album["score"] += weight
        album["top_tracks"] += 1
    ranked = sorted(found.values(), key=lambda a: (-a["score"], a["best_track_rank"]))
    return [{**album, "rank": rank} for rank, album in enumerate(ranked, start=1)]
