"""A demo warehouse for the SQL tests: the raw tables filled from a sandbox library, as ingestion would."""

from datetime import datetime

import polars as pl

from sandbox.library import Library, Playlist
from resources.warehouse import Warehouse


def seed_raw_tables(warehouse: Warehouse, library: Library, users: list[str]) -> None:
    for user in users:
        for table, rows in raw_rows(library, user).items():
            warehouse.replace_partition(table, user, pl.DataFrame(rows, infer_schema_length=None))


def raw_rows(library: Library, user: str) -> dict[str, list[dict]]:
    playlists = [p for p in library.playlists if user in (p.owner, *p.collaborators, *p.followers)]
    readable = [p for p in playlists if _readable(p, user)]
    liked = library.liked.get(user, [])
    track_ids = {s.track_id for s in liked} | {i.track_id for p in readable for i in p.items if i.track_id}
    tracks = [t for t in library.tracks if t.id in track_ids]
    albums = {t.album_id for t in tracks}
    artists = {a for t in tracks for a in t.artist_ids}
    names = {a.id: a.name for a in library.artists}
    return {
        "raw.liked_songs": [
            {"track_id": s.track_id, "liked_at": _time(s.added_at), "first_liked_at": _time(s.added_at), "like_count": 1}
            for s in liked
        ],
        "raw.playlists": [
            {"playlist_id": p.id, "name": p.name, "owner_id": p.owner, "collaborative": p.collaborative,
             "public": p.public, "description": p.description, "items_total": len(p.items), "list_position": n,
             "readable": _readable(p, user), "snapshot_id": f"snap-{p.id}"}
            for n, p in enumerate(playlists)
        ],
        "raw.playlist_items": [
            {"playlist_id": p.id, "position": n, "item_type": _item_type(i), "track_id": i.track_id,
             "episode_id": i.episode_id, "added_at": _time(i.added_at), "added_by": i.added_by,
             "is_local": i.local is not None, "local_name": i.local.name if i.local else None}
            for p in readable for n, i in enumerate(p.items)
        ],
        "raw.tracks": [
            {"track_id": t.id, "uri": f"spotify:track:{t.id}", "name": t.name, "album_id": t.album_id,
             "artist_ids": t.artist_ids, "artist_names": [names[a] for a in t.artist_ids],
             "duration_ms": t.duration_ms, "explicit": t.explicit, "isrc": t.isrc, "is_playable": t.is_playable}
            for t in tracks
        ],
        "raw.albums": [
            {"album_id": a.id, "name": a.name, "album_type": a.album_type, "release_date": a.release_date,
             "release_date_precision": a.release_date_precision, "release_year": int(a.release_date[:4]),
             "artist_ids": a.artist_ids, "total_tracks": a.total_tracks}
            for a in library.albums if a.id in albums
        ],
        "raw.artists": [
            {"artist_id": a.id, "name": a.name, "genres": a.genres if library.profile == "extended" else None}
            for a in library.artists if a.id in artists
        ],
    }


def _readable(playlist: Playlist, user: str) -> bool:
    return user == playlist.owner or user in playlist.collaborators


def _item_type(item) -> str:
    if item.track_id:
        return "track"
    if item.episode_id:
        return "episode"
    return "local" if item.local else "unavailable"


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None) if text else None
