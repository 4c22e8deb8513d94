"""The sandbox Deezer API: track lookup by ISRC or id, and track search by artist and title, with
Deezer's habits.

Every error is HTTP 200 with `{"error": {"type", "message", "code"}}`: code 4 when a client goes over
50 requests per 5 s (counted as a violation), code 800 for an unknown ISRC, 700 when busy.
`bpm: 0` means unknown. The catalog is `world.library.enrichment.deezer`, named from the library's
tracks with the same ISRC.
"""

from __future__ import annotations

import re
import zlib

from sandbox.harness import Fault, IndexedService, Request, Response
from sandbox.world import World

RATE_LIMIT = (50, 5.0)  # requests, seconds

ERRORS = {
    4: ("Exception", "Quota limit exceeded"),
    600: ("InvalidQueryException", "Unknown path components"),
    700: ("Exception", "Service busy"),
    800: ("DataException", "no data"),
}


def error_body(code: int) -> dict:
    kind, message = ERRORS[code]
    return {"error": {"type": kind, "message": message, "code": code}}


class DeezerService(IndexedService):
    name = "deezer"

    def __init__(self, world: World, rate_limit: tuple[int, float] = RATE_LIMIT):
        super().__init__(world, rate_limit)

    def routes(self):
        return [
            ("GET", "/deezer/track/{ref}", self.get_track),
            ("GET", "/deezer/2.0/track/{ref}", self.get_track),
            ("GET", "/deezer/search", self.search),
            ("GET", "/deezer/search/track", self.search),
        ]

    def before(self, request: Request) -> Response | None:
        if self.window.hit(self.world.clock.now()) <= 0:
            return None
        return Response(200, error_body(4), violation=True)

    def fault_response(self, fault: Fault, request: Request) -> Response:
        if fault.status == 429:
            return Response(200, error_body(4))
        if fault.status == 503:
            return Response(200, error_body(700))
        if fault.status == 404:
            return Response(200, error_body(800))
        return Response(fault.status, "<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"})

    # --- routes -------------------------------------------------------------------------------

    def get_track(self, request: Request) -> Response:
        self._sync()
        ref = request.path_params["ref"]
        if ref.lower().startswith("isrc:"):
            entry = self.by_isrc.get(ref[5:].upper())
        else:
            entry = self.by_id.get(ref)
        if entry is None:
            return Response(200, error_body(800))
        return Response(200, self._track_json(entry, request.base_url))

    def search(self, request: Request) -> Response:
        """`q=artist:"A" track:"T"` (either part, or plain words in the title): Deezer's search items
        carry no bpm, gain or release date (a track lookup by id has them)."""
        self._sync()
        query = request.query.get("q", "")
        if not query.strip():
            return Response(200, {"error": {"type": "MissingParameterException", "message": "Missing parameters: q",
                                            "code": 501}})
        fields = dict(re.findall(r'(artist|track):"([^"]*)"', query))
        plain = re.sub(r'(artist|track):"[^"]*"', "", query).strip()
        wanted_artist, wanted_title = fields.get("artist", "").lower(), (fields.get("track") or plain).lower()
        found = [entry for (artist, title), entry in self.by_names.items()
                 if (not wanted_artist or artist == wanted_artist) and (not wanted_title or wanted_title in title)]
        items = [{"id": e.id, "title": self.tracks_by_isrc[e.isrc.upper()].name, "isrc": e.isrc, "rank": e.rank or 0,
                  "type": "track"} for e in found[:25]]
        return Response(200, {"data": items, "total": len(found)})

    # --- shapes -------------------------------------------------------------------------------

    def _track_json(self, entry, base_url: str) -> dict:
        track = self.tracks_by_isrc.get(entry.isrc)
        title = track.name if track else f"Track {entry.id}"
        artist = self.artist_names.get(track.artist_ids[0], "Unknown") if track else "Unknown"
        artist_id = zlib.crc32(artist.encode()) % 10**7
        body = {
            "id": entry.id,
            "readable": True,
            "title": title,
            "title_short": title,
            "isrc": entry.isrc,
            "link": f"https://www.deezer.com/track/{entry.id}",
            "share": f"https://www.deezer.com/track/{entry.id}?utm_source=deezer",
            "duration": round(track.duration_ms / 1000) if track else 0,
            "track_position": track.track_number if track else 1,
            "disk_number": track.disc_number if track else 1,
            "rank": entry.rank if entry.rank is not None else 0,
            "explicit_lyrics": bool(track and track.explicit),
            "explicit_content_lyrics": 0,
            "explicit_content_cover": 0,
            "preview": f"https://cdnt-preview.dzcdn.net/api/1/1/{entry.id}.mp3?hdnea=exp=900",
            "bpm": entry.bpm,  # 0 = unknown, never null
            "available_countries": ["DE", "FR", "GB", "US"],
            "contributors": [{"id": artist_id, "name": artist, "type": "artist", "role": "Main"}],
            "md5_image": "0" * 32,
            "track_token": "sandbox",
            "artist": {"id": artist_id, "name": artist, "type": "artist",
                       "tracklist": f"{base_url}/deezer/artist/0/top?limit=50"},
            "album": {"id": entry.id // 10, "title": title, "release_date": entry.release_date, "type": "album"},
            "type": "track",
        }
        if entry.gain is not None:
            body["gain"] = entry.gain
        if entry.release_date is not None:
            body["release_date"] = entry.release_date
        return body

    def _index(self, library) -> None:
        self.by_isrc = {e.isrc.upper(): e for e in library.enrichment.deezer}
        self.by_id = {str(e.id): e for e in library.enrichment.deezer}
        self.tracks_by_isrc = {}
        for track in library.tracks:  # the first track filed under an ISRC names it
            if track.isrc:
                self.tracks_by_isrc.setdefault(track.isrc.upper(), track)
        self.artist_names = {a.id: a.name for a in library.artists}
        self.by_names = {}
        for entry in library.enrichment.deezer:
            track = self.tracks_by_isrc.get(entry.isrc.upper())
            if track:
                self.by_names[(self.artist_names.get(track.artist_ids[0], "").lower(), track.name.lower())] = entry
