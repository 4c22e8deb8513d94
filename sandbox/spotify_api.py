"""The Spotify Web API of the sandbox, as the 2026 service answers.

Two profiles from the library: `devmode` (the February 2026 development-mode API: batch endpoints
and `/playlists/{id}/tracks` answer 403, popularity/label/genres/followers are gone, playlist entries
carry `item` only, followers cannot read a playlist's items) and `extended` (the older, wider API).
Every write goes to `world.library`, so `GET /_sandbox/library` shows playlists as they are.

As on Spotify, `is_playable` (and `restrictions` for unplayable tracks) appear only when the request
names a `market` (`from_token` counts); without one, `extended` lists `available_markets` instead
(empty for unplayable tracks) and `devmode` says nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import quote_plus, urlencode

from sandbox.harness import Fault, RateWindow, Request, Response
from sandbox.library import Playlist, PlaylistItem
from sandbox.top import get_top
from sandbox.plays import CursorError, PlayHistory
from sandbox.world import Grant, World

OPEN = "https://open.spotify.com"
MARKETS = ["CA", "DE", "FR", "GB", "JP", "SE", "US"]
BASE62 = re.compile(r"^[0-9A-Za-z]+$")
ITEM_URI = re.compile(r"^spotify:(track|episode):([0-9A-Za-z]+)$")
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MESSAGES = {
    400: "Bad request", 401: "Invalid access token", 403: "Forbidden", 404: "Resource not found",
    429: "API rate limit exceeded", 500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable",
}


class ApiError(Exception):
    """An error answer; `message=None` with `bodiless=True` is Spotify's empty-bodied 403."""

    def __init__(self, status: int, message: str | None = None, bodiless: bool = False, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.bodiless, self.headers = status, message, bodiless, headers or {}

    def response(self) -> Response:
        if self.bodiless:
            return Response(self.status, None, self.headers)
        return error_response(self.status, self.message or MESSAGES.get(self.status, "Error"), headers=self.headers)


def error_response(status: int, message: str, reason: str | None = None, headers: dict | None = None) -> Response:
    error: dict[str, Any] = {"status": status, "message": message}
    if reason:
        error["reason"] = reason
    return Response(status, {"error": error}, dict(headers or {}))


# ---------------------------------------------------------------------------------------------
# The `fields` filter: "name,owner(!href,images),items(added_at,item(id,album.name))"
# A parsed list is {"keep": {key: sub-spec or None for the whole value}, "drop": {keys}}.


def parse_fields(text: str) -> dict:
    text = text.replace(" ", "")
    spec, end = _parse_field_list(text, 0)
    if end != len(text):
        raise ApiError(400, "Invalid fields parameter")
    return spec


def _parse_field_list(text: str, i: int) -> tuple[dict, int]:
    spec: dict = {"keep": {}, "drop": set()}
    excluding = text.startswith("!", i)  # "album(!name,href)": a leading `!` excludes the whole list
    while True:
        name, drop, sub, i = _parse_field(text, i)
        if drop or excluding:
            spec["drop"].add(name)
        else:
            spec["keep"][name] = _merge_fields(spec["keep"].get(name, False), sub)
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        return spec, i


def _parse_field(text: str, i: int) -> tuple[str, bool, dict | None, int]:
    drop = text.startswith("!", i)
    i += drop
    start = i
    while i < len(text) and text[i] not in ",.()!":
        i += 1
    name, sub = text[start:i], None
    if not name:
        raise ApiError(400, "Invalid fields parameter")
    if text.startswith(".", i):  # a.b.c reaches one key deeper
        key, key_drop, key_sub, i = _parse_field(text, i + 1)
        sub = {"keep": {}, "drop": {key}} if key_drop else {"keep": {key: key_sub}, "drop": set()}
    elif text.startswith("(", i):
        sub, i = _parse_field_list(text, i + 1)
        if not text.startswith(")", i):
            raise ApiError(400, "Invalid fields parameter")
        i += 1
    return name, drop, sub, i


def _merge_fields(old: dict | None | bool, new: dict | None) -> dict | None:
    if old is False:
        return new
    if old is None or new is None:
        return None  # the whole value was asked for somewhere
    keep = dict(old["keep"])
    for key, sub in new["keep"].items():
        keep[key] = _merge_fields(keep.get(key, False), sub)
    return {"keep": keep, "drop": old["drop"] | new["drop"]}


def apply_fields(value: Any, spec: dict | None) -> Any:
    if spec is None or value is None:
        return value
    if isinstance(value, list):
        return [apply_fields(v, spec) for v in value]
    if not isinstance(value, dict):
        return value
    if spec["keep"]:
        return {k: apply_fields(value[k], sub) for k, sub in spec["keep"].items() if k in value}
    return {k: v for k, v in value.items() if k not in spec["drop"]}


# ---------------------------------------------------------------------------------------------
# Pre-encoded JSON: a sync pages 50,000 liked songs; encoding each track once, not on every page,
# is what keeps that at a few seconds.


@dataclass(frozen=True)
class Raw:
    """JSON text to splice into a response as it is."""

    text: str


RAW_MARK = re.compile(r'"\\u0000(\d+)\\u0000"')


def dumps(obj: Any) -> str:
    pieces: list[str] = []

    def mark(value: Any) -> str:
        if not isinstance(value, Raw):
            raise TypeError(f"not JSON: {type(value).__name__}")
        pieces.append(value.text)
        return f"\x00{len(pieces) - 1}\x00"

    text = json.dumps(obj, default=mark)
    return RAW_MARK.sub(lambda found: pieces[int(found.group(1))], text) if pieces else text


def json_response(status: int, obj: Any) -> Response:
    return Response(status, dumps(obj).encode(), {"Content-Type": "application/json; charset=utf-8"})


# ---------------------------------------------------------------------------------------------
# Small pure helpers


def parse_limit(query: dict[str, str], default: int, maximum: int) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, "Invalid limit") from None
    if not 1 <= limit <= maximum:
        raise ApiError(400, "Invalid limit")
    return limit


def parse_offset(query: dict[str, str], maximum: int | None = None) -> int:
    raw = query.get("offset")
    if raw is None or raw == "":
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise ApiError(400, "Invalid offset") from None
    if offset < 0 or (maximum is not None and offset > maximum):
        raise ApiError(400, "Invalid offset")
    return offset


def parse_ids(query: dict[str, str], maximum: int) -> list[str]:
    ids = [i for i in (query.get("ids") or "").split(",") if i]
    if not ids:
        raise ApiError(400, "invalid id")
    if len(ids) > maximum:
        raise ApiError(400, "too many ids requested")
    for item_id in ids:
        check_id(item_id)
    return ids


def check_id(item_id: str) -> None:
    if not BASE62.match(item_id):
        raise ApiError(400, "Invalid base62 id")


def page_url(base: str, path: str, offset: int, limit: int, query: dict[str, str]) -> str:
    """A paging link echoing the request's other parameters, as Spotify's href/next do."""
    params = {"offset": offset, "limit": limit, **{k: v for k, v in query.items() if k not in ("offset", "limit")}}
    return f"{base}{path}?{urlencode(params, safe=',():!')}"


def paging(base: str, path: str, query: dict[str, str], offset: int, limit: int, total: int, items: list) -> dict:
    return {
        "href": page_url(base, path, offset, limit, query),
        "items": items,
        "limit": limit,
        "next": page_url(base, path, offset + limit, limit, query) if offset + limit < total else None,
        "offset": offset,
        "previous": page_url(base, path, max(0, offset - limit), limit, query) if offset > 0 else None,
        "total": total,
    }


def local_uri(artist: str, album: str, title: str, duration_ms: int) -> str:
    parts = [quote_plus(p) for p in (artist, album, title)]
    return "spotify:local:" + ":".join(parts) + f":{duration_ms // 1000}"


def item_uri(item: PlaylistItem) -> str | None:
    if item.track_id:
        return f"spotify:track:{item.track_id}"
    if item.episode_id:
        return f"spotify:episode:{item.episode_id}"
    if item.local:
        return local_uri(item.local.artist, item.local.album, item.local.name, item.local.duration_ms)
    return None  # an unavailable item has lost its uri


def base62_digest(text: str, length: int = 22) -> str:
    number = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 62)
        chars.append(ALPHABET[rest])
    return "".join(chars)


def items_digest(items: list[PlaylistItem]) -> bytes:
    rows = [(i.track_id, i.episode_id, i.local and tuple(i.local.model_dump().values()), i.unavailable, i.added_at, i.added_by) for i in items]
    return hashlib.sha256(repr(rows).encode()).digest()


def make_snapshot(playlist_id: str, digest: bytes, writes: int) -> str:
    """Spotify-like: a version number and a hash, base64 (so `+` and `/` do occur)."""
    mix = hashlib.sha256(playlist_id.encode() + digest + struct.pack(">I", writes)).digest()
    return base64.b64encode(struct.pack(">I", writes + 1) + mix[:20]).decode()


def iso(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_to_utc_midnight(now: float) -> int:
    return max(1, math.ceil(86400 - now % 86400))


def reorder(items: list, range_start: int, range_length: int, insert_before: int) -> list:
    block = items[range_start:range_start + range_length]
    rest = items[:range_start] + items[range_start + range_length:]
    at = insert_before if insert_before <= range_start else max(range_start, insert_before - len(block))
    return rest[:at] + block + rest[at:]


@dataclass(frozen=True)
class View:
    """How one request wants objects rendered."""

    base: str
    extended: bool
    market: bool
    episodes: bool = True


# ---------------------------------------------------------------------------------------------


class SpotifyService:
    name = "spotify"

    def __init__(self, world: World, quota_per_day: int | None = None, rate_limit_per_30s: int | None = None):
        self.world = world
        self.quota_per_day = quota_per_day
        self.rate_limit_per_30s = rate_limit_per_30s
        self.quota_used: dict[str, tuple[int, int]] = {}  # client_id -> (UTC day, requests)
        self.windows: dict[str, RateWindow] = {}
        self.blocked_until: dict[str, float] = {}
        self.generation = -1

    # --- harness protocol -------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Callable[[Request], Response]]]:
        table = [
            ("GET", "/v1/me", self.get_me),
            ("GET", "/v1/me/tracks", self.get_saved_tracks),
            ("GET", "/v1/me/playlists", self.get_my_playlists),
            ("GET", "/v1/me/top/{type}", lambda request: get_top(self, request)),
            ("GET", "/v1/me/player/recently-played", self.get_recently_played),
            ("POST", "/v1/me/playlists", self.create_playlist),
            ("GET", "/v1/playlists/{playlist_id}", self.get_playlist),
            ("PUT", "/v1/playlists/{playlist_id}", self.change_details),
            ("GET", "/v1/playlists/{playlist_id}/items", self.get_items),
            ("POST", "/v1/playlists/{playlist_id}/items", self.add_items),
            ("PUT", "/v1/playlists/{playlist_id}/items", self.replace_or_reorder),
            ("DELETE", "/v1/playlists/{playlist_id}/items", self.remove_items),
            ("GET", "/v1/playlists/{playlist_id}/tracks", self.get_old_tracks),
            ("POST", "/v1/playlists/{playlist_id}/tracks", self.extended_only(self.add_items)),
            ("PUT", "/v1/playlists/{playlist_id}/tracks", self.extended_only(self.replace_or_reorder)),
            ("DELETE", "/v1/playlists/{playlist_id}/tracks", self.extended_only(self.remove_items)),
            ("GET", "/v1/tracks", self.get_several_tracks),
            ("GET", "/v1/tracks/{track_id}", self.get_track),
            ("GET", "/v1/artists", self.get_several_artists),
            ("GET", "/v1/artists/{artist_id}", self.get_artist),
            ("GET", "/v1/albums", self.get_several_albums),
            ("GET", "/v1/albums/{album_id}", self.get_album),
            ("GET", "/v1/albums/{album_id}/tracks", self.get_album_tracks),
            ("GET", "/v1/audio-features", self.get_audio_features),
            ("GET", "/v1/audio-features/{track_id}", self.get_audio_features),
        ]
        return [(method, template, self._guarded(handler)) for method, template, handler in table]

    def before(self, request: Request) -> Response | None:
        self._sync()
        try:
            grant = self._grant(request)
        except ApiError as error:
            return error.response()
        now = self.world.clock.now()
        refusal = self._check_quota(grant.client_id, now) or self._check_rate(grant.client_id, now)
        if refusal is None:
            self._spend(grant.client_id, now)
        return refusal

    def fault_response(self, fault: Fault, request: Request) -> Response:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.status == 401:
            headers["www-authenticate"] = 'Bearer realm="spotify", error="invalid_token", error_description="The access token expired"'
            return error_response(401, "The access token expired", fault.reason, headers)
        if fault.status == 429 and fault.reason == "QUOTA_EXCEEDED":
            return error_response(429, "Too many requests", fault.reason, headers)
        return error_response(fault.status, MESSAGES.get(fault.status, "Error"), fault.reason, headers)

    def _guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            self._sync()
            try:
                return handler(request)
            except ApiError as error:
                return error.response()
        return run

    # --- auth, quota, rate limit ------------------------------------------------------------

    def _grant(self, request: Request) -> Grant:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not token:
            raise ApiError(401, "No token provided", headers={"www-authenticate": 'Bearer realm="spotify"'})
        grant = self.world.tokens.lookup(token, self.world.clock.now())
        if grant is None:
            known = self.world.tokens.access.get(token)
            expired = known is not None and known.user not in self.world.tokens.revoked
            message = "The access token expired" if expired else "Invalid access token"
            www = f'Bearer realm="spotify", error="invalid_token", error_description="{message}"'
            raise ApiError(401, message, headers={"www-authenticate": www})
        return grant

    def _check_quota(self, client_id: str, now: float) -> Response | None:
        if self.quota_per_day is None:
            return None
        day, used = self.quota_used.get(client_id, (-1, 0))
        if day == int(now // 86400) and used >= self.quota_per_day:
            return error_response(429, "Too many requests", "QUOTA_EXCEEDED", {"Retry-After": str(seconds_to_utc_midnight(now))})
        return None

    def _check_rate(self, client_id: str, now: float) -> Response | None:
        if self.rate_limit_per_30s is None:
            return None
        until = self.blocked_until.get(client_id, 0.0)
        if now < until:  # told to wait and did not
            response = error_response(429, MESSAGES[429], headers={"Retry-After": str(math.ceil(until - now))})
            response.violation = True
            return response
        window = self.windows.setdefault(client_id, RateWindow(self.rate_limit_per_30s, 30))
        wait = window.hit(now)
        if wait <= 0:
            return None
        retry = max(1, math.ceil(wait))
        self.blocked_until[client_id] = now + retry
        return error_response(429, MESSAGES[429], headers={"Retry-After": str(retry)})

    def _spend(self, client_id: str, now: float) -> None:
        if self.quota_per_day is not None:
            day, used = self.quota_used.get(client_id, (-1, 0))
            today = int(now // 86400)
            self.quota_used[client_id] = (today, used + 1 if day == today else 1)

    def _user(self, request: Request) -> str:
        return self._grant(request).user

    # --- indexes ------------------------------------------------------------------------------

    def _sync(self) -> None:
        if self.generation == self.world.generation:
            return
        library = self.world.library
        self.tracks = {t.id: t for t in library.tracks}
        self.albums = {a.id: a for a in library.albums}
        self.artists = {a.id: a for a in library.artists}
        self.episodes = {e.id: e for e in library.episodes}
        self.users = {u.id: u for u in library.users}
        self.playlists = {p.id: p for p in library.playlists}
        self.album_tracks: dict[str, list] = {}
        for track in library.tracks:
            self.album_tracks.setdefault(track.album_id, []).append(track)
        for tracks in self.album_tracks.values():
            tracks.sort(key=lambda t: (t.disc_number, t.track_number))
        self.plays = PlayHistory(library)
        self.liked = {user: sorted(saved, key=lambda s: s.added_at, reverse=True) for user, saved in library.liked.items()}
        self.cache: dict[tuple, Any] = {}  # rendered objects and their JSON text, per view
        self.digests: dict[str, bytes] = {}
        self.generation = self.world.generation

    @property
    def extended(self) -> bool:
        return self.world.profile == "extended"

    def _view(self, request: Request, episodes: bool = True) -> View:
        return View(request.base_url, self.extended, bool(request.query.get("market")), episodes)

    def snapshot_id(self, playlist: Playlist) -> str:
        digest = self.digests.get(playlist.id)
        if digest is None:
            digest = self.digests[playlist.id] = items_digest(playlist.items)
        return make_snapshot(playlist.id, digest, self.world.playlist_writes.get(playlist.id, 0))

    def _wrote(self, playlist: Playlist) -> str:
        self.world.playlist_writes[playlist.id] = self.world.playlist_writes.get(playlist.id, 0) + 1
        self.digests.pop(playlist.id, None)
        return self.snapshot_id(playlist)

    # --- rendering ----------------------------------------------------------------------------

    def _cached(self, key: tuple, build: Callable[[], dict]) -> dict:
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = build()
        return found

    def user_object(self, v: View, user_id: str, owner: bool = False) -> dict:
        obj = {
            "external_urls": {"spotify": f"{OPEN}/user/{user_id}"},
            "href": f"{v.base}/v1/users/{user_id}",
            "id": user_id,
            "type": "user",
            "uri": f"spotify:user:{user_id}",
        }
        if owner:
            user = self.users.get(user_id)
            obj["display_name"] = user.display_name if user else None
        return obj

    @staticmethod
    def empty_user(v: View) -> dict:
        return {"external_urls": {}, "href": f"{v.base}/v1/users/", "id": "", "type": "user", "uri": "spotify:user:"}

    @staticmethod
    def images(kind: str, item_id: str) -> list[dict]:
        code = hashlib.sha1(f"{kind}:{item_id}".encode()).hexdigest()[:24]
        return [{"url": f"https://i.scdn.co/image/ab67616d0000{size:04x}{code}", "height": size, "width": size} for size in (640, 300, 64)]

    def artist_simple(self, v: View, artist_id: str) -> dict:
        def build() -> dict:
            artist = self.artists[artist_id]
            return {
                "external_urls": {"spotify": f"{OPEN}/artist/{artist_id}"},
                "href": f"{v.base}/v1/artists/{artist_id}",
                "id": artist_id,
                "name": artist.name,
                "type": "artist",
                "uri": f"spotify:artist:{artist_id}",
            }
        return self._cached(("artist_simple", artist_id, v.base), build)

    def artist_full(self, v: View, artist_id: str) -> dict:
        artist = self.artists[artist_id]
        obj = dict(self.artist_simple(v, artist_id), images=self.images("artist", artist_id))
        if v.extended:
            obj["followers"] = {"href": None, "total": artist.followers or 0}
            obj["genres"] = list(artist.genres)
            obj["popularity"] = artist.popularity or 0
        return obj

    def album_simple(self, v: View, album_id: str) -> dict:
        def build() -> dict:
            album = self.albums[album_id]
            obj = {
                "album_type": album.album_type,
                "total_tracks": album.total_tracks,
                "external_urls": {"spotify": f"{OPEN}/album/{album_id}"},
                "href": f"{v.base}/v1/albums/{album_id}",
                "id": album_id,
                "images": self.images("album", album_id),
                "name": album.name,
                "release_date": album.release_date,
                "release_date_precision": album.release_date_precision,
                "type": "album",
                "uri": f"spotify:album:{album_id}",
                "artists": [self.artist_simple(v, a) for a in album.artist_ids],
            }
            if v.extended and not v.market:
                obj["available_markets"] = list(MARKETS)
            return obj
        return self._cached(("album_simple", album_id, v.base, v.extended, v.market), build)

    def album_full(self, v: View, album_id: str, query: dict[str, str]) -> dict:
        album = self.albums[album_id]
        tracks = self.album_tracks.get(album_id, [])
        year = album.release_date[:4]
        obj = dict(self.album_simple(v, album_id))
        obj["tracks"] = paging(v.base, f"/v1/albums/{album_id}/tracks", {k: query[k] for k in ("market",) if k in query},
                               0, 50, len(tracks), [self.track_simple(v, t) for t in tracks[:50]])
        obj["copyrights"] = [{"text": f"© {year} {album.label or 'Independent'}", "type": "C"},
                             {"text": f"℗ {year} {album.label or 'Independent'}", "type": "P"}]
        obj["external_ids"] = {"upc": str(int(hashlib.sha1(album_id.encode()).hexdigest(), 16))[:12]}
        obj["genres"] = []  # "always empty", in development mode too
        if v.extended:
            obj["label"] = album.label or ""
            obj["popularity"] = album.popularity or 0
        return obj

    def _playability(self, v: View, obj: dict, playable: bool) -> None:
        if v.market:
            obj["is_playable"] = playable
            if not playable:
                obj["restrictions"] = {"reason": "market"}
        elif v.extended:
            obj["available_markets"] = list(MARKETS) if playable else []

    def track_scalars(self, v: View, track) -> dict:
        obj = {
            "disc_number": track.disc_number,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "external_urls": {"spotify": f"{OPEN}/track/{track.id}"},
            "href": f"{v.base}/v1/tracks/{track.id}",
            "id": track.id,
            "is_local": False,
            "name": track.name,
            "preview_url": None,
            "track_number": track.track_number,
            "type": "track",
            "uri": f"spotify:track:{track.id}",
        }
        self._playability(v, obj, track.is_playable)
        return obj

    def track_simple(self, v: View, track) -> dict:
        return {"artists": [self.artist_simple(v, a) for a in track.artist_ids], **self.track_scalars(v, track)}

    def track_full_scalars(self, v: View, track) -> dict:
        obj = self.track_scalars(v, track)
        obj["external_ids"] = {"isrc": track.isrc} if track.isrc else {}
        if v.extended:
            obj["popularity"] = track.popularity or 0
        return obj

    def track_full(self, v: View, track_id: str) -> dict:
        track = self.tracks[track_id]
        return {"album": self.album_simple(v, track.album_id), "artists": [self.artist_simple(v, a) for a in track.artist_ids],
                **self.track_full_scalars(v, track)}

    def track_raw(self, v: View, track_id: str) -> Raw:
        """track_full as JSON text, assembled from the album's and artists' cached text."""
        key = ("track_raw", track_id, v.base, v.extended, v.market)
        found = self.cache.get(key)
        if found is None:
            track = self.tracks[track_id]
            album = self._cached_json(("album_json", track.album_id, v.base, v.extended, v.market), lambda: self.album_simple(v, track.album_id))
            artists = ", ".join(self._cached_json(("artist_json", a, v.base), lambda a=a: self.artist_simple(v, a)) for a in track.artist_ids)
            text = f'{{"album": {album}, "artists": [{artists}], {json.dumps(self.track_full_scalars(v, track))[1:]}'
            found = self.cache[key] = Raw(text)
        return found

    def _cached_json(self, key: tuple, build: Callable[[], dict]) -> str:
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = json.dumps(build())
        return found

    def local_track(self, v: View, item: PlaylistItem) -> dict:
        local = item.local
        obj = {
            "album": {"album_type": None, "artists": [], "available_markets": [], "external_urls": {}, "href": None,
                      "id": None, "images": [], "name": local.album, "release_date": None,
                      "release_date_precision": None, "type": "album", "uri": None},
            "artists": [{"external_urls": {}, "href": None, "id": None, "name": local.artist, "type": "artist", "uri": None}],
            "disc_number": 0,
            "duration_ms": local.duration_ms,
            "explicit": False,
            "external_ids": {},
            "external_urls": {},
            "href": None,
            "id": None,
            "is_local": True,
            "name": local.name,
            "preview_url": None,
            "track_number": 0,
            "type": "track",
            "uri": item_uri(item),
        }
        if v.extended:
            obj["available_markets"] = []
            obj["popularity"] = 0
        return obj

    def episode(self, v: View, episode_id: str) -> dict:
        def build() -> dict:
            episode = self.episodes[episode_id]
            show_id = base62_digest("show:" + episode.show_name)
            day = int.from_bytes(hashlib.sha1(episode_id.encode()).digest()[:4], "big") % 3000
            released = datetime.fromtimestamp(1_500_000_000 + day * 86400, timezone.utc).strftime("%Y-%m-%d")
            return {
                "audio_preview_url": None,
                "description": f"{episode.name} of {episode.show_name}.",
                "html_description": f"<p>{episode.name} of {episode.show_name}.</p>",
                "duration_ms": episode.duration_ms,
                "explicit": False,
                "external_urls": {"spotify": f"{OPEN}/episode/{episode_id}"},
                "href": f"{v.base}/v1/episodes/{episode_id}",
                "id": episode_id,
                "images": self.images("episode", episode_id),
                "is_externally_hosted": False,
                "is_playable": True,
                "language": "en",
                "languages": ["en"],
                "name": episode.name,
                "release_date": released,
                "release_date_precision": "day",
                "type": "episode",
                "uri": f"spotify:episode:{episode_id}",
                "show": {
                    "available_markets": list(MARKETS), "copyrights": [], "description": episode.show_name,
                    "html_description": episode.show_name, "explicit": False,
                    "external_urls": {"spotify": f"{OPEN}/show/{show_id}"}, "href": f"{v.base}/v1/shows/{show_id}",
                    "id": show_id, "images": self.images("show", show_id), "is_externally_hosted": False,
                    "languages": ["en"], "media_type": "audio", "name": episode.show_name,
                    "publisher": episode.show_name, "type": "show", "uri": f"spotify:show:{show_id}",
                },
            }
        return self._cached(("episode", episode_id, v.base), build)

    def episode_as_track(self, v: View, episode_id: str) -> dict:
        """An episode for a client that did not ask for episodes (no `additional_types=episode`): Spotify
        still sends it, dressed as a track, its show standing in for album and artist, with the
        `episode`/`track` flags its real answers carry (spotify/web-api#1528) and `type: "episode"`."""
        episode = self.episode(v, episode_id)
        show = episode["show"]
        show_as_artist = {key: show[key] for key in ("external_urls", "href", "id", "name", "type", "uri")}
        obj = {
            "album": {**show_as_artist, "album_type": "compilation", "artists": [show_as_artist], "images": show["images"],
                      "release_date": episode["release_date"], "release_date_precision": "day", "total_tracks": 1},
            "artists": [show_as_artist],
            "disc_number": 0,
            "duration_ms": episode["duration_ms"],
            "episode": False,
            "explicit": episode["explicit"],
            "external_ids": {"spotify": episode["external_urls"]["spotify"]},
            "external_urls": episode["external_urls"],
            "href": episode["href"],
            "id": episode_id,
            "is_local": False,
            "name": episode["name"],
            "preview_url": None,
            "track": True,
            "track_number": 0,
            "type": "episode",
            "uri": episode["uri"],
        }
        if v.extended:
            obj["popularity"] = 0
        return obj

    def playlist_entry(self, v: View, item: PlaylistItem, raw: bool = False) -> dict:
        """One playlist entry; `raw` gives tracks as pre-encoded JSON (not for the fields filter)."""
        added_by = self.user_object(v, item.added_by) if item.added_by else None
        if item.unavailable:
            content, added_by = None, self.empty_user(v)
        elif item.track_id:
            content = self.track_raw(v, item.track_id) if raw else self.track_full(v, item.track_id)
        elif item.episode_id:
            content = self.episode(v, item.episode_id) if v.episodes else self.episode_as_track(v, item.episode_id)
        else:
            content = self.local_track(v, item)
        entry = {"added_at": item.added_at, "added_by": added_by, "is_local": item.local is not None, "item": content}
        if v.extended:
            entry["track"] = content
            entry["primary_color"] = None
            entry["video_thumbnail"] = {"url": None}
        return entry

    def items_page(self, v: View, playlist: Playlist, path: str, query: dict[str, str], offset: int, limit: int,
                   raw: bool = False) -> dict:
        entries = [self.playlist_entry(v, item, raw) for item in playlist.items[offset:offset + limit]]
        return paging(v.base, path, query, offset, limit, len(playlist.items), entries)

    def playlist_simple(self, v: View, playlist: Playlist) -> dict:
        total = len(playlist.items)
        obj = {
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "external_urls": {"spotify": f"{OPEN}/playlist/{playlist.id}"},
            "href": f"{v.base}/v1/playlists/{playlist.id}",
            "id": playlist.id,
            "images": self.images("playlist", playlist.id) if total else [],
            "name": playlist.name,
            "owner": self.user_object(v, playlist.owner, owner=True),
            "public": playlist.public,
            "snapshot_id": self.snapshot_id(playlist),
            "items": {"href": f"{v.base}/v1/playlists/{playlist.id}/items", "total": total},
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist.id}",
        }
        if v.extended:
            obj["tracks"] = {"href": f"{v.base}/v1/playlists/{playlist.id}/tracks", "total": total}
            obj["primary_color"] = None
        return obj

    def playlist_full(self, v: View, playlist: Playlist, user: str, query: dict[str, str]) -> dict:
        obj = self.playlist_simple(v, playlist)
        obj["followers"] = {"href": None, "total": len(playlist.followers)}
        echo = {k: query[k] for k in ("market", "additional_types") if k in query}
        if v.extended:
            # the older API embeds the first 100 entries under `tracks`; `items` is the newer name
            obj["tracks"] = self.items_page(v, playlist, f"/v1/playlists/{playlist.id}/tracks", echo, 0, 100)
            obj["items"] = self.items_page(v, playlist, f"/v1/playlists/{playlist.id}/items", echo, 0, 50)
        elif self.can_write(playlist, user):
            obj["items"] = self.items_page(v, playlist, f"/v1/playlists/{playlist.id}/items", echo, 0, 50)
        else:
            del obj["items"]  # development mode: metadata only for playlists the user merely follows
        return obj

    # --- access -------------------------------------------------------------------------------

    def playlist(self, request: Request) -> Playlist:
        playlist_id = request.path_params["playlist_id"]
        check_id(playlist_id)
        playlist = self.playlists.get(playlist_id)
        if playlist is None:
            raise ApiError(404, "Resource not found")
        return playlist

    @staticmethod
    def can_write(playlist: Playlist, user: str) -> bool:
        return user == playlist.owner or user in playlist.collaborators

    def readable_playlist(self, request: Request, user: str) -> Playlist:
        playlist = self.playlist(request)
        if not self.extended and not self.can_write(playlist, user):
            raise ApiError(403, "Forbidden")
        return playlist

    def writable_playlist(self, request: Request, user: str) -> Playlist:
        playlist = self.playlist(request)
        if not self.can_write(playlist, user):
            raise ApiError(403, "You cannot add tracks to a playlist you don't own.")
        return playlist

    def require_extended(self, bodiless: bool = False) -> None:
        if not self.extended:
            raise ApiError(403, "Forbidden", bodiless=bodiless)

    def extended_only(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """The pre-2026 `/tracks` form of a playlist endpoint: gone in development mode."""
        def run(request: Request) -> Response:
            self.require_extended()
            return handler(request)
        return run

    @staticmethod
    def fields(request: Request) -> dict | None:
        text = request.query.get("fields")
        return parse_fields(text) if text else None

    @staticmethod
    def wants_episodes(request: Request) -> bool:
        return "episode" in (request.query.get("additional_types") or "").split(",")

    # --- read handlers ------------------------------------------------------------------------

    def get_me(self, request: Request) -> Response:
        user = self._user(request)
        v = self._view(request)
        obj = self.user_object(v, user, owner=True)
        obj["account_id"] = base62_digest("account:" + user, 10)
        obj["images"] = []
        if v.extended:
            obj.update(country="SE", email=f"{user}@example.com", product="premium",
                       explicit_content={"filter_enabled": False, "filter_locked": False},
                       followers={"href": None, "total": 0})
        return Response(200, obj)

    def get_saved_tracks(self, request: Request) -> Response:
        user = self._user(request)
        limit, offset = parse_limit(request.query, 20, 50), parse_offset(request.query)
        v = self._view(request)
        saved = self.liked.get(user, [])
        items = [{"added_at": s.added_at, "track": self.track_raw(v, s.track_id)} for s in saved[offset:offset + limit]]
        return json_response(200, paging(v.base, "/v1/me/tracks", request.query, offset, limit, len(saved), items))

    def get_recently_played(self, request: Request) -> Response:
        v = self._view(request)
        try:
            body = self.plays.recently_played(self._user(request), self.world.clock.now(), request.query, v.base,
                                              lambda track_id: self.track_full(v, track_id))
        except CursorError as error:
            raise ApiError(400, str(error)) from None
        return Response(200, body)

    def visible_playlists(self, user: str) -> list[Playlist]:
        return [p for p in self.world.library.playlists if user == p.owner or user in p.collaborators or user in p.followers]

    def get_my_playlists(self, request: Request) -> Response:
        user = self._user(request)
        limit, offset = parse_limit(request.query, 20, 50), parse_offset(request.query, 100_000)
        v = self._view(request)
        mine = self.visible_playlists(user)
        items = [self.playlist_simple(v, p) for p in mine[offset:offset + limit]]
        return Response(200, paging(v.base, "/v1/me/playlists", request.query, offset, limit, len(mine), items))

    def get_playlist(self, request: Request) -> Response:
        user = self._user(request)
        playlist = self.playlist(request)
        fields = self.fields(request)
        obj = self.playlist_full(self._view(request, self.wants_episodes(request)), playlist, user, request.query)
        return Response(200, apply_fields(obj, fields))

    def _items(self, request: Request, maximum: int) -> Response:
        user = self._user(request)
        playlist = self.readable_playlist(request, user)
        limit, offset = parse_limit(request.query, 20, maximum), parse_offset(request.query)
        fields = self.fields(request)
        v = self._view(request, self.wants_episodes(request))
        page = self.items_page(v, playlist, request.path.rstrip("/"), request.query, offset, limit, raw=fields is None)
        return json_response(200, apply_fields(page, fields))

    def get_items(self, request: Request) -> Response:
        return self._items(request, 50)

    def get_old_tracks(self, request: Request) -> Response:
        self.require_extended()
        return self._items(request, 100)

    def _one(self, request: Request, key: str, table: dict, render: Callable[[str], dict]) -> Response:
        self._user(request)
        item_id = request.path_params[key]
        check_id(item_id)
        if item_id not in table:
            raise ApiError(404, "Resource not found")
        return Response(200, render(item_id))

    def get_track(self, request: Request) -> Response:
        v = self._view(request)
        return self._one(request, "track_id", self.tracks, lambda i: self.track_full(v, i))

    def get_artist(self, request: Request) -> Response:
        v = self._view(request)
        return self._one(request, "artist_id", self.artists, lambda i: self.artist_full(v, i))

    def get_album(self, request: Request) -> Response:
        v = self._view(request)
        return self._one(request, "album_id", self.albums, lambda i: self.album_full(v, i, request.query))

    def get_album_tracks(self, request: Request) -> Response:
        self._user(request)
        album_id = request.path_params["album_id"]
        check_id(album_id)
        if album_id not in self.albums:
            raise ApiError(404, "Resource not found")
        limit, offset = parse_limit(request.query, 20, 50), parse_offset(request.query)
        v = self._view(request)
        tracks = self.album_tracks.get(album_id, [])
        items = [self.track_simple(v, t) for t in tracks[offset:offset + limit]]
        return Response(200, paging(v.base, f"/v1/albums/{album_id}/tracks", request.query, offset, limit, len(tracks), items))

    def _several(self, request: Request, key: str, maximum: int, table: dict, render: Callable[[str], dict]) -> Response:
        self._user(request)
        self.require_extended(bodiless=True)
        ids = parse_ids(request.query, maximum)
        return Response(200, {key: [render(i) if i in table else None for i in ids]})

    def get_several_tracks(self, request: Request) -> Response:
        v = self._view(request)
        return self._several(request, "tracks", 50, self.tracks, lambda i: self.track_full(v, i))

    def get_several_artists(self, request: Request) -> Response:
        v = self._view(request)
        return self._several(request, "artists", 50, self.artists, lambda i: self.artist_full(v, i))

    def get_several_albums(self, request: Request) -> Response:
        v = self._view(request)
        return self._several(request, "albums", 20, self.albums, lambda i: self.album_full(v, i, request.query))

    def get_audio_features(self, request: Request) -> Response:
        """Closed to apps created after 2024-11-27 and to development mode: 403 with no message."""
        self._user(request)
        return Response(403, {"error": {"status": 403}})

    # --- write handlers -----------------------------------------------------------------------

    @staticmethod
    def body(request: Request) -> Any:
        try:
            return request.json()
        except ValueError:
            raise ApiError(400, "Error parsing json") from None

    def new_items(self, uris: list, user: str, now: float) -> list[PlaylistItem]:
        if not uris:
            raise ApiError(400, "No uris provided")
        if len(uris) > 100:
            raise ApiError(400, "You can add a maximum of 100 tracks per request.")
        added_at = iso(now)
        items = []
        for uri in uris:
            found = ITEM_URI.match(uri) if isinstance(uri, str) else None
            kind, item_id = found.groups() if found else (None, None)
            if kind == "track" and item_id in self.tracks:
                items.append(PlaylistItem(track_id=item_id, added_at=added_at, added_by=user))
            elif kind == "episode" and item_id in self.episodes:
                items.append(PlaylistItem(episode_id=item_id, added_at=added_at, added_by=user))
            else:
                raise ApiError(400, f"Invalid track uri: {uri}")
        return items

    @staticmethod
    def position(request: Request, body: Any, length: int) -> int:
        raw = request.query.get("position")
        if raw is None and isinstance(body, dict):
            raw = body.get("position")
        if raw is None or raw == "":
            return length
        try:
            position = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid position") from None
        if not 0 <= position <= length:
            raise ApiError(400, "Index out of bounds")
        return position

    @staticmethod
    def uris(request: Request, body: Any) -> list | None:
        if "uris" in request.query:  # the query form wins over the body
            return [u for u in request.query["uris"].split(",") if u]
        if isinstance(body, list):
            return body
        if isinstance(body, dict) and "uris" in body:
            if not isinstance(body["uris"], list):
                raise ApiError(400, "Error parsing json")
            return body["uris"]
        return None

    def add_items(self, request: Request) -> Response:
        user = self._user(request)
        playlist = self.writable_playlist(request, user)
        body = self.body(request)
        items = self.new_items(self.uris(request, body) or [], user, self.world.clock.now())
        at = self.position(request, body, len(playlist.items))
        playlist.items[at:at] = items
        return Response(201, {"snapshot_id": self._wrote(playlist)})

    def replace_or_reorder(self, request: Request) -> Response:
        user = self._user(request)
        playlist = self.writable_playlist(request, user)
        body = self.body(request)
        if isinstance(body, dict) and "range_start" in body:
            playlist.items[:] = self.reordered(playlist, body)
            return Response(200, {"snapshot_id": self._wrote(playlist)})
        uris = self.uris(request, body)
        if uris is None:
            raise ApiError(400, "No uris provided")
        playlist.items[:] = self.new_items(uris, user, self.world.clock.now()) if uris else []
        return Response(200, {"snapshot_id": self._wrote(playlist)})

    def reordered(self, playlist: Playlist, body: dict) -> list[PlaylistItem]:
        try:
            start = int(body["range_start"])
            length = int(body.get("range_length", 1))
            before = int(body["insert_before"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Missing or invalid reorder parameters") from None
        total = len(playlist.items)
        if not (0 <= start < total and length >= 1 and start + length <= total and 0 <= before <= total):
            raise ApiError(400, "Index out of bounds")
        return reorder(playlist.items, start, length, before)

    def remove_items(self, request: Request) -> Response:
        user = self._user(request)
        playlist = self.writable_playlist(request, user)
        body = self.body(request) or {}
        if not isinstance(body, dict):
            raise ApiError(400, "Error parsing json")
        wanted = body.get("items", body.get("tracks") if self.extended else None)
        if not isinstance(wanted, list) or not wanted or not all(isinstance(w, dict) and w.get("uri") for w in wanted):
            raise ApiError(400, "No uris provided")
        if len(wanted) > 100:
            raise ApiError(400, "You can remove a maximum of 100 tracks per request.")
        snapshot = body.get("snapshot_id")
        if snapshot is not None and snapshot != self.snapshot_id(playlist):
            raise ApiError(400, "Missing or bad version tag")
        drop = self.positions_to_remove(playlist, wanted)
        playlist.items[:] = [item for at, item in enumerate(playlist.items) if at not in drop]
        return Response(200, {"snapshot_id": self._wrote(playlist)})

    @staticmethod
    def positions_to_remove(playlist: Playlist, wanted: list[dict]) -> set[int]:
        uris = [item_uri(item) for item in playlist.items]
        drop: set[int] = set()
        for entry in wanted:
            positions = entry.get("positions")
            if positions is None:
                drop.update(at for at, uri in enumerate(uris) if uri == entry["uri"])
                continue
            for at in positions:
                if not isinstance(at, int) or not 0 <= at < len(uris) or uris[at] != entry["uri"]:
                    raise ApiError(400, "Could not remove tracks, please check parameters.")
                drop.add(at)
        return drop

    def change_details(self, request: Request) -> Response:
        """Name, description, public and collaborative of a playlist the user owns; 200 with no body. A
        change of details is a new version of the playlist, so its snapshot id changes too."""
        user = self._user(request)
        playlist = self.playlist(request)
        if user != playlist.owner:
            raise ApiError(403, "You cannot change details of a playlist you don't own.")
        body = self.body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Error parsing json")
        for key in ("name", "description"):
            if key in body and (not isinstance(body[key], str) or not body[key]):
                raise ApiError(400, f"Attribute {key} is empty")
        public = body.get("public", playlist.public)
        collaborative = body.get("collaborative", playlist.collaborative)
        if collaborative and public:
            raise ApiError(400, "Collaborative playlists can only be private.")
        playlist.name = body.get("name", playlist.name)
        playlist.description = body.get("description", playlist.description)
        playlist.public, playlist.collaborative = bool(public), bool(collaborative)
        self._wrote(playlist)
        return Response(200)

    def create_playlist(self, request: Request) -> Response:
        user = self._user(request)
        body = self.body(request)
        if not isinstance(body, dict) or not body.get("name"):
            raise ApiError(400, "Missing required field: name")
        public = body.get("public", True)
        collaborative = bool(body.get("collaborative", False))
        if collaborative and public:
            raise ApiError(400, "Collaborative playlists can only be private.")
        playlist = Playlist(
            id=self.new_playlist_id(user, body["name"]), name=body["name"], owner=user,
            collaborative=collaborative, public=bool(public), description=body.get("description") or "",
        )
        self.world.library.playlists.append(playlist)
        self.playlists[playlist.id] = playlist
        self._wrote(playlist)
        return Response(201, self.playlist_full(self._view(request), playlist, user, {}))

    def new_playlist_id(self, user: str, name: str) -> str:
        salt = len(self.world.library.playlists)
        while True:
            playlist_id = base62_digest(f"{user}:{name}:{salt}:{self.world.clock.now()}")
            if playlist_id not in self.playlists:
                return playlist_id
            salt += 1
