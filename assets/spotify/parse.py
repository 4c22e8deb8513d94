"""Spotify JSON objects into warehouse rows (plain dicts), faithfully.

Playlist entries keep what they are: tracks, episodes, local files (no id), gone items (null item),
duplicates and `added_at: null`. The track or episode of an entry is `item`, falling back to the
deprecated `track`. Catalog rows come from the inline track objects; nothing here makes a request.
"""

from __future__ import annotations

from datetime import datetime

from assets.spotify.sync_plan import PlaylistListing, Saved


def timestamp(text: str | None) -> datetime | None:
    """An ISO-8601 UTC timestamp as a naive UTC datetime (None stays None)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def item_of(entry: dict | None) -> dict | None:
    """The track or episode of a playlist entry or saved track: `item`, falling back to `track`."""
    if not entry:
        return None
    return entry.get("item") or entry.get("track")


# -- liked songs ---------------------------------------------------------------------------------


def saved_entry(entry: dict) -> Saved:
    return Saved(item_of(entry)["id"], timestamp(entry.get("added_at")))


# -- catalog -------------------------------------------------------------------------------------


def track_object_row(track: dict) -> dict | None:
    """One row of raw.track_objects from an inline track object; None for local files and non-tracks."""
    if not track or track.get("type", "track") != "track" or track.get("is_local") or not track.get("id"):
        return None
    album = track.get("album") or {}
    artists = [a for a in track.get("artists") or [] if a.get("id")]
    album_artists = [a for a in album.get("artists") or [] if a.get("id")]
    return {
        "track_id": track["id"],
        "uri": track.get("uri"),
        "name": track.get("name"),
        "duration_ms": track.get("duration_ms"),
        "explicit": track.get("explicit"),
        "isrc": (track.get("external_ids") or {}).get("isrc"),
        "track_number": track.get("track_number"),
        "disc_number": track.get("disc_number"),
        "is_playable": track.get("is_playable"),
        "popularity": track.get("popularity"),
        "artist_ids": [a["id"] for a in artists],
        "artist_names": [a.get("name") for a in artists],
        "album_id": album.get("id"),
        "album_name": album.get("name"),
        "album_type": album.get("album_type"),
        "album_release_date": album.get("release_date"),
        "album_release_date_precision": album.get("release_date_precision"),
        "album_total_tracks": album.get("total_tracks"),
        "album_label": album.get("label"),
        "album_popularity": album.get("popularity"),
        "album_artist_ids": [a["id"] for a in album_artists],
        "album_artist_names": [a.get("name") for a in album_artists],
    }


def artist_detail_row(artist: dict) -> dict:
    """An artist row from a full artist object (extended access: genres, popularity, followers)."""
    return {
        "artist_id": artist["id"],
        "name": artist.get("name"),
        "genres": list(artist.get("genres") or []),
        "popularity": artist.get("popularity"),
        "followers": (artist.get("followers") or {}).get("total"),
    }


# -- playlists -----------------------------------------------------------------------------------


def playlist_listing(obj: dict) -> PlaylistListing:
    items = obj.get("items") or obj.get("tracks") or {}
    return PlaylistListing(obj["id"], obj.get("snapshot_id") or "", (obj.get("owner") or {}).get("id") or "",
                           bool(obj.get("collaborative")), int(items.get("total") or 0))


def playlist_row(obj: dict, list_position: int) -> dict:
    """One row of raw.playlists from a /me/playlists entry (readability and management are added later)."""
    listing = playlist_listing(obj)
    owner = obj.get("owner") or {}
    return {
        "playlist_id": listing.playlist_id,
        "name": obj.get("name"),
        "owner_id": listing.owner_id,
        "owner_name": owner.get("display_name"),
        "snapshot_id": listing.snapshot_id,
        "collaborative": listing.collaborative,
        "public": obj.get("public"),
        "description": obj.get("description"),
        "items_total": listing.items_total,
        "list_position": list_position,
    }


def _item_type(entry: dict, content: dict | None) -> str:
    if content is None:
        return "unavailable"
    if entry.get("is_local") or content.get("is_local"):
        return "local"
    return "episode" if content.get("type") == "episode" else "track"


def playlist_item_row(entry: dict, position: int) -> dict:
    """One row of raw.playlist_items from a playlist entry, whatever it holds."""
    content = item_of(entry)
    kind = _item_type(entry, content)
    content = content or {}
    added_by = (entry.get("added_by") or {}).get("id") or None  # the "empty user" has id ""
    local = kind == "local"
    album = content.get("album") or {}
    artists = content.get("artists") or []
    return {
        "position": position,
        "item_type": kind,
        "track_id": content.get("id") if kind == "track" else None,
        "episode_id": content.get("id") if kind == "episode" else None,
        "uri": content.get("uri"),
        "name": content.get("name"),
        "added_at": timestamp(entry.get("added_at")),
        "added_by": added_by,
        "is_local": local,
        "local_name": content.get("name") if local else None,
        "local_artist": (artists[0].get("name") if artists else None) if local else None,
        "local_album": album.get("name") if local else None,
        "duration_ms": content.get("duration_ms"),
    }
