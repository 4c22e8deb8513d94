"""The sandbox Last.fm API: track.getInfo, track.getCorrection, track.getTopTags, track.getSimilar,
artist.getInfo, artist.getTopTags and user.getRecentTracks (a sandbox user's plays, see `sandbox.plays`).

Last.fm's habits: the error code is in the body (`{"error": 6, "message", "links": []}`) whatever the
HTTP status; most numbers are strings; a list of one (a single tag) is an object, not a list. Names
match case-insensitively; `autocorrect=1` also follows the corrections the catalog lists (see
`sandbox.matching`). Over 5 requests per second answers error 29 and counts a violation. The catalog
is `world.library.enrichment`.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from sandbox.harness import Fault, IndexedService, Request, Response
from sandbox.matching import LastfmIndex
from sandbox.plays import PlayHistory, recent_tracks_page
from sandbox.world import World

RATE_LIMIT = (5, 1.0)  # requests, seconds
SANDBOX_API_KEY = "sandbox-lastfm-key"

MESSAGES = {
    3: "Invalid Method - No method with that name in this package",
    6: "Invalid parameters - Your request is missing a required parameter",
    8: "Operation failed - Most likely the backend service failed. Please try again.",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    16: "There was a temporary error processing your request. Please try again",
    29: "Rate Limit Exceeded - Your IP has made too many requests in a short period",
}


def error(status: int, code: int, message: str | None = None) -> Response:
    return Response(status, {"error": code, "message": message or MESSAGES[code], "links": []})


def one_or_many(items: list) -> list | dict:
    """Last.fm's JSON: a single child element is an object, not a list of one."""
    return items[0] if len(items) == 1 else items


class LastfmService(IndexedService):
    name = "lastfm"

    def __init__(self, world: World, api_key: str | None = None, rate_limit: tuple[int, float] = RATE_LIMIT):
        super().__init__(world, rate_limit)
        self.api_key = api_key  # None: any non-empty key is accepted

    def routes(self):
        return [("GET", "/lastfm/2.0", self.dispatch)]

    def before(self, request: Request) -> Response | None:
        if self.window.hit(self.world.clock.now()) <= 0:
            return None
        response = error(200, 29)
        response.violation = True
        return response

    def fault_response(self, fault: Fault, request: Request) -> Response:
        code = {429: 29, 503: 16, 502: 11, 504: 11}.get(fault.status, 8)
        return error(fault.status, code)

    # --- routes -------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        self._sync()
        query = request.query
        key = query.get("api_key", "")
        if not key:
            return error(400, 6)
        if self.api_key is not None and key != self.api_key:
            return error(403, 10)
        handler = {
            "track.getinfo": self.track_info,
            "artist.getinfo": self.artist_info,
            "artist.gettoptags": self.artist_top_tags,
            "track.getcorrection": self.track_correction,
            "track.gettoptags": self.track_top_tags,
            "track.getsimilar": self.track_similar,
            "user.getrecenttracks": self.recent_tracks,
        }.get(query.get("method", "").lower())
        if handler is None:
            return error(400, 3)
        return handler(query, query.get("autocorrect") == "1")

    def track_info(self, query: dict, autocorrect: bool) -> Response:
        if not query.get("artist") or not query.get("track"):
            return error(400, 6)
        entry = self._find_track(query["artist"], query["track"], autocorrect)
        if entry is None:
            return error(200, 6, "Track not found")
        artist_url = f"https://www.last.fm/music/{quote_plus(entry.artist)}"
        return Response(200, {"track": {
            "name": entry.track,
            "url": f"{artist_url}/_/{quote_plus(entry.track)}",
            "duration": "0",
            "streamable": {"#text": "0", "fulltrack": "0"},
            "listeners": str(entry.listeners),
            "playcount": str(entry.playcount),
            "artist": {"name": entry.artist, "url": artist_url},
            "toptags": {"tag": one_or_many([self._tag(t) for t in entry.tags])},
        }})

    def artist_info(self, query: dict, autocorrect: bool) -> Response:
        entry = self._find_artist(query.get("artist", ""), autocorrect)
        if entry is None:
            return error(200, 6, "The artist you supplied could not be found")
        return Response(200, {"artist": {
            "name": entry.artist,
            "url": f"https://www.last.fm/music/{quote_plus(entry.artist)}",
            "image": [{"#text": "", "size": "small"}, {"#text": "", "size": "large"}],
            "streamable": "0",
            "ontour": "0",
            "stats": {"listeners": str(entry.listeners), "playcount": str(entry.playcount)},
            "similar": {"artist": []},
            "tags": {"tag": one_or_many([self._tag(t) for t in entry.tags[:5]])},
            "bio": {"links": {"link": {"#text": "", "rel": "original", "href": ""}},
                    "published": "01 Jan 2020, 00:00", "summary": "", "content": ""},
        }})

    def artist_top_tags(self, query: dict, autocorrect: bool) -> Response:
        entry = self._find_artist(query.get("artist", ""), autocorrect)
        if entry is None:
            return error(200, 6, "The artist you supplied could not be found")
        tags = [{"count": 100 - 10 * i, **self._tag(t)} for i, t in enumerate(entry.tags)]  # count: a number here
        return Response(200, {"toptags": {"tag": one_or_many(tags), "@attr": {"artist": entry.artist}}})

    def track_correction(self, query: dict, autocorrect: bool) -> Response:
        entry = self._find_track(query.get("artist", ""), query.get("track", ""), True)
        if entry is None:
            return Response(200, {"corrections": "\n"})  # what Last.fm sends when it knows no correction
        corrected = {"artistcorrected": str(int(entry.artist != query.get("artist"))),
                     "trackcorrected": str(int(entry.track != query.get("track")))}
        return Response(200, {"corrections": {"correction": {
            "track": {"name": entry.track, "artist": {"name": entry.artist}}, "@attr": {"index": "0", **corrected}}}})

    def track_top_tags(self, query: dict, autocorrect: bool) -> Response:
        entry = self._find_track(query.get("artist", ""), query.get("track", ""), autocorrect)
        if entry is None:
            return error(200, 6, "Track not found")
        tags = [{"count": 100 - 10 * i, **self._tag(t)} for i, t in enumerate(entry.tags)]
        return Response(200, {"toptags": {"tag": tags, "@attr": {"artist": entry.artist, "track": entry.track}}})

    def track_similar(self, query: dict, autocorrect: bool) -> Response:
        """Known tracks answer with an empty list: the sandbox keeps no similarity data."""
        entry = self._find_track(query.get("artist", ""), query.get("track", ""), autocorrect)
        if entry is None:
            return error(200, 6, "Track not found")
        return Response(200, {"similartracks": {"track": [], "@attr": {"artist": entry.artist}}})

    def recent_tracks(self, query: dict, autocorrect: bool) -> Response:
        """A user's scrobbles: the sandbox user of that name scrobbles every play Last.fm would count."""
        user = query.get("user", "")
        if not user:
            return error(400, 6)
        if user not in self.plays.by_user and user not in {u.id for u in self.world.library.users}:
            return error(200, 6, "User not found")
        return Response(200, recent_tracks_page(self.plays, user, self.world.clock.now(), query))

    # --- lookups ------------------------------------------------------------------------------

    @staticmethod
    def _tag(name: str) -> dict:
        return {"name": name, "url": f"https://www.last.fm/tag/{quote_plus(name)}"}

    def _find_track(self, artist: str, track: str, autocorrect: bool):
        return self.tracks.find((artist, track), autocorrect)

    def _find_artist(self, artist: str, autocorrect: bool):
        return self.artists.find((artist,), autocorrect)

    def _index(self, library) -> None:
        self.plays = PlayHistory(library)
        enrichment = library.enrichment
        self.artists = LastfmIndex()
        artist_variants: dict[str, list[str]] = {}
        for entry in enrichment.lastfm_artists:
            self.artists.add((entry.artist,), entry, [(v,) for v in entry.corrections])
            artist_variants.setdefault(entry.artist, []).extend(entry.corrections)
        self.tracks = LastfmIndex()
        for entry in enrichment.lastfm_tracks:
            artists = [entry.artist, *artist_variants.get(entry.artist, [])]
            titles = [entry.track, *entry.corrections]
            variants = [(a, t) for a in artists for t in titles if (a, t) != (entry.artist, entry.track)]
            self.tracks.add((entry.artist, entry.track), entry, variants)
