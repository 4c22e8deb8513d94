"""Rows of the three play sources, from what each one sends (pure: plain data in and out).

The Extended Streaming History export is parsed field by field from an allow-list: a field not named
in `EXPORT_FIELDS` (IP address, user agent, platform, country, username, ...) is never read into a
row, so it cannot reach the warehouse. Only music plays are kept (rows with a track uri; podcast and
audiobook rows have none).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

EXPORT_FILE = re.compile(r"(^|/)Streaming_History_Audio_[^/]*\.json$")
# export field -> column of raw.streaming_history
EXPORT_FIELDS = {
    "ts": "played_at",
    "ms_played": "ms_played",
    "spotify_track_uri": "track_uri",
    "master_metadata_track_name": "track_name",
    "master_metadata_album_artist_name": "artist_name",
    "master_metadata_album_album_name": "album_name",
    "reason_start": "reason_start",
    "reason_end": "reason_end",
    "shuffle": "shuffle",
    "skipped": "skipped",
    "offline": "offline",
}


def is_export_file(name: str) -> bool:
    """A `Streaming_History_Audio_*.json` file (at any depth of a zip)."""
    return EXPORT_FILE.search(name) is not None


def parse_time(text: str) -> datetime:
    """An ISO 8601 time ("...Z" or with an offset) as a naive UTC datetime, the project's convention."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def export_rows(text: str) -> list[dict]:
    """The music plays of one export file, with only the kept fields."""
    rows = []
    for entry in json.loads(text):
        uri = entry.get("spotify_track_uri")
        if not uri or not entry.get("ts"):
            continue
        row = {column: entry.get(field) for field, column in EXPORT_FIELDS.items()}
        row["played_at"] = parse_time(row["played_at"])
        row["track_id"] = uri.rsplit(":", 1)[-1] if uri.startswith("spotify:track:") else None
        del row["track_uri"]
        rows.append(row)
    return rows


def export_key(row: dict) -> tuple:
    """What tells one exported play from another: the same play in two files (a re-dropped file, two
    exports covering the same months) has the same end, track and length."""
    return (row["played_at"], row["track_id"], row["track_name"], row["ms_played"])


def new_export_rows(rows: list[dict], known: set[tuple]) -> list[dict]:
    """The rows whose play is not known yet, each once; `known` grows with them."""
    fresh = []
    for row in rows:
        key = export_key(row)
        if key not in known:
            known.add(key)
            fresh.append(row)
    return fresh


def recently_played_rows(page: dict) -> list[dict]:
    """The plays of one recently-played page, oldest first."""
    rows = []
    for item in page.get("items") or []:
        track = item.get("track") or {}
        artists = track.get("artists") or [{}]
        rows.append({
            "played_at": parse_time(item["played_at"]),
            "track_id": track.get("id"),
            "track_name": track.get("name"),
            "artist_name": artists[0].get("name"),
            "album_name": (track.get("album") or {}).get("name"),
            "duration_ms": track.get("duration_ms"),
            "context_uri": (item.get("context") or {}).get("uri"),
        })
    return sorted(rows, key=lambda r: r["played_at"])


def epoch_ms(moment: datetime) -> int:
    """A naive UTC datetime as the epoch milliseconds recently-played's cursors count in."""
    return round(moment.replace(tzinfo=UTC).timestamp() * 1000)
