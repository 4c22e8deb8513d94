"""The sandbox MusicBrainz WS/2: ISRC lookup, recording search, recording lookup and the genre list.

MusicBrainz's habits: at most 1 request per second (503 beyond, counted as a violation), 403 for a
request without a User-Agent, 404 for an unknown ISRC or recording. Search is Lucene-like, folding
case and accents but nothing else (see `sandbox.matching`). The catalog is
`world.library.enrichment.musicbrainz`; the genre list (`GET /ws/2/genre/all`, paged by limit and
offset, sorted by name) is `sandbox.musicbrainz_genres`, whatever the library.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from sandbox.harness import Fault, IndexedService, Request, Response
from sandbox.matching import Group, parse_query, search_score, words
from sandbox.musicbrainz_genres import GENRES
from sandbox.world import World

RATE_LIMIT = (1, 1.0)  # requests, seconds
_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
# Lucene field -> the entry attribute it searches; a query word without a field searches the title.
# Fields the sandbox does not index (release, status, ...) match nothing.
FIELDS = {None: "title", "recording": "title", "title": "title", "artist": "artist", "artistname": "artist",
          "creditname": "artist", "isrc": "isrc"}

NOT_FOUND = {"help": "For usage, please see: https://musicbrainz.org/development/mmd", "error": "Not Found"}
RATE_LIMITED = {"error": "Your requests are exceeding the allowable rate limit. Please see "
                         "http://wiki.musicbrainz.org/XMLWebService for more information."}
BUSY = {"error": "The MusicBrainz web server is currently busy. Please try again later."}
NO_USER_AGENT = {"error": "Your requests are being throttled by MusicBrainz because the application you are "
                          "using has not identified itself. Please update your application, and see "
                          "https://musicbrainz.org/doc/XML_Web_Service/Rate_Limiting for more information."}


class MusicbrainzService(IndexedService):
    name = "musicbrainz"

    def __init__(self, world: World, rate_limit: tuple[int, float] = RATE_LIMIT):
        super().__init__(world, rate_limit)

    def routes(self):
        return [
            ("GET", "/musicbrainz/ws/2/isrc/{isrc}", self.lookup_isrc),
            ("GET", "/musicbrainz/ws/2/recording", self.search_recordings),
            ("GET", "/musicbrainz/ws/2/recording/{mbid}", self.lookup_recording),
            ("GET", "/musicbrainz/ws/2/genre/all", self.genre_list),
        ]

    def before(self, request: Request) -> Response | None:
        if not request.headers.get("user-agent", "").strip():
            return Response(403, NO_USER_AGENT, {"x-ratelimit-who": "ua-missing"})
        if self.window.hit(self.world.clock.now()) <= 0:
            return None
        return Response(503, RATE_LIMITED, {"retry-after": "0"}, violation=True)

    def fault_response(self, fault: Fault, request: Request) -> Response:
        if fault.status in (429, 503):
            return Response(503, RATE_LIMITED if fault.status == 429 else BUSY, {"retry-after": str(fault.retry_after or 0)})
        if fault.status == 404:
            return Response(404, NOT_FOUND)
        return Response(fault.status, {"error": "Internal server error"})

    # --- routes -------------------------------------------------------------------------------

    def lookup_isrc(self, request: Request) -> Response:
        self._sync()
        isrc = request.path_params["isrc"].upper()
        entries = self.by_isrc.get(isrc)
        if not entries:
            return Response(404, NOT_FOUND)
        inc = self._inc(request)
        recordings = [self._recording(e, {"artist-credits" if i == "artists" else i for i in inc}) for e in entries]
        return Response(200, {"isrc": isrc, "recordings": recordings})

    def search_recordings(self, request: Request) -> Response:
        self._sync()
        query = parse_query(request.query.get("query", ""))
        limit = max(1, min(int(request.query.get("limit", 25)), 100))
        offset = int(request.query.get("offset", 0))
        scored = sorted(((self._score(e, query), i, e) for i, e in enumerate(self.entries)), key=lambda s: (-s[0], s[1]))
        found = [(score, e) for score, _, e in scored if score > 0]
        page = [{"score": score, **self._recording(e, {"artist-credits"}), "releases": []} for score, e in found[offset:offset + limit]]
        created = datetime.fromtimestamp(self.world.clock.now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return Response(200, {"created": created, "count": len(found), "offset": offset, "recordings": page})

    def lookup_recording(self, request: Request) -> Response:
        self._sync()
        entry = self.by_id.get(request.path_params["mbid"])
        if entry is None:
            return Response(404, NOT_FOUND)
        return Response(200, self._recording(entry, self._inc(request)))

    def genre_list(self, request: Request) -> Response:
        limit = max(1, min(int(request.query.get("limit", 25)), 100))
        offset = int(request.query.get("offset", 0))
        page = [{"id": str(uuid.uuid5(_NAMESPACE, "genre:" + name)), "name": name, "disambiguation": ""}
                for name in GENRES[offset:offset + limit]]
        return Response(200, {"genre-count": len(GENRES), "genre-offset": offset, "genres": page})

    # --- shapes -------------------------------------------------------------------------------

    @staticmethod
    def _inc(request: Request) -> set[str]:
        return {part for part in re.split(r"[+ ]", request.query.get("inc", "")) if part}

    @staticmethod
    def _score(entry, query: Group) -> int:
        def fields(name: str | None) -> list[list[str]]:
            if name in ("dur", "qdur"):  # the length in ms, and quantised as MusicBrainz indexes it (ms / 2000)
                length = entry.length_ms
                return [] if length is None else [[str(length if name == "dur" else length // 2000)]]
            attribute = FIELDS.get(name)
            return [words(getattr(entry, attribute))] if attribute else []

        return search_score(query, fields)

    def _recording(self, entry, inc: set[str]) -> dict:
        body = {"id": entry.recording_id, "title": entry.title, "length": entry.length_ms,
                "video": False, "disambiguation": ""}
        if "artist-credits" in inc:
            artist_id = str(uuid.uuid5(_NAMESPACE, entry.artist))
            body["artist-credit-id"] = str(uuid.uuid5(_NAMESPACE, "credit:" + entry.artist))
            body["artist-credit"] = [{"name": entry.artist, "joinphrase": "", "artist": {
                "id": artist_id, "name": entry.artist, "sort-name": entry.artist, "disambiguation": ""}}]
        if "isrcs" in inc:
            body["isrcs"] = [entry.isrc] if entry.isrc else []
        if "genres" in inc:
            body["genres"] = [{"id": str(uuid.uuid5(_NAMESPACE, "genre:" + g)), "name": g, "count": len(entry.genres) - i,
                               "disambiguation": ""} for i, g in enumerate(entry.genres)]
        if "tags" in inc:
            body["tags"] = [{"name": g, "count": len(entry.genres) - i} for i, g in enumerate(entry.genres)]
        return body

    def _index(self, library) -> None:
        self.entries = list(library.enrichment.musicbrainz)
        self.by_id = {e.recording_id: e for e in self.entries}
        self.by_isrc: dict[str, list] = {}
        for entry in self.entries:
            if entry.isrc:
                self.by_isrc.setdefault(entry.isrc.upper(), []).append(entry)
