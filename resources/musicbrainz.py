"""MusicBrainz: find a recording (its ISRC and genres) by artist and title (reference §E); read its genre list."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from resources.http import ApiResource, JsonApi, Outcome, Reply, as_float, as_int, as_list
from resources.settings import MUSICBRAINZ_API_BASE

# Documented: 1 request per second on average (the limiter leaves room for arrival jitter).
RATE = (1, 1.0)
MIN_SCORE = 90
# The most genres one page of /ws/2/genre/all holds (its default is 25).
GENRE_PAGE = 100


@dataclass
class MusicbrainzRecording:
    recording_id: str
    title: str
    artist: str
    length_ms: int | None
    isrc: str | None
    genres: list[str]


def classify(reply: Reply) -> Outcome:
    if reply.status == 200 and isinstance(reply.body, dict):
        return Outcome.found(reply.body)
    if reply.status == 404:
        return Outcome.missing("not found")
    if reply.status == 503 or reply.status >= 500:
        return Outcome.retry(f"HTTP {reply.status}", as_float(reply.headers.get("retry-after")))
    error = reply.body.get("error", "") if isinstance(reply.body, dict) else ""
    return Outcome.fail(f"HTTP {reply.status} {error[:80]}".strip())


def lucene_phrase(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def credited_artist(recording: dict) -> str:
    credits = as_list(recording.get("artist-credit"))
    return "".join(c.get("name", "") + c.get("joinphrase", "") for c in credits if isinstance(c, dict))


class MusicbrainzClient:
    def __init__(self, api: JsonApi) -> None:
        self.api = api

    def find_recording(self, artist: str, title: str) -> MusicbrainzRecording | None:
        """The best-scoring recording for artist + title, with its ISRC and genres; None when none fits."""
        recording_id = self.search_recording(artist, title)
        return self.recording(recording_id) if recording_id else None

    def search_recording(self, artist: str, title: str) -> str | None:
        query = f"recording:{lucene_phrase(title)} AND artist:{lucene_phrase(artist)}"
        outcome = self.api.get("/ws/2/recording", {"query": query, "limit": "5", "fmt": "json"}, "GET /ws/2/recording")
        if outcome.kind == "missing":
            return None
        best = [r for r in as_list(outcome.data.get("recordings")) if (as_int(r.get("score")) or 0) >= MIN_SCORE]
        return best[0]["id"] if best else None

    def recording(self, recording_id: str) -> MusicbrainzRecording | None:
        params = {"inc": "genres+isrcs+artist-credits", "fmt": "json"}
        outcome = self.api.get(f"/ws/2/recording/{recording_id}", params, "GET /ws/2/recording/{mbid}")
        if outcome.kind == "missing":
            return None
        body = outcome.data
        genres = sorted(as_list(body.get("genres")), key=lambda g: -(as_int(g.get("count")) or 0))
        isrcs = as_list(body.get("isrcs"))
        return MusicbrainzRecording(
            recording_id=body.get("id") or recording_id,
            title=body.get("title", ""),
            artist=credited_artist(body),
            length_ms=as_int(body.get("length")),
            isrc=isrcs[0] if isrcs else None,
            genres=[g["name"] for g in genres if g.get("name")],
        )

    def recordings_by_isrc(self, isrc: str) -> list[dict]:
        """The recordings filed under an ISRC (several are possible); [] when unknown."""
        outcome = self.api.get(f"/ws/2/isrc/{isrc}", {"inc": "artists+isrcs", "fmt": "json"}, "GET /ws/2/isrc/{isrc}")
        return [] if outcome.kind == "missing" else as_list(outcome.data.get("recordings"))

    def genres(self) -> list[str]:
        """Every name on MusicBrainz's genre list (its curated genres, lower case), read page by page."""
        names: list[str] = []
        offset = 0
        while True:
            params = {"limit": str(GENRE_PAGE), "offset": str(offset), "fmt": "json"}
            outcome = self.api.get("/ws/2/genre/all", params, "GET /ws/2/genre/all")
            body = outcome.data if outcome.kind == "found" else {}
            page = as_list(body.get("genres"))
            names += [g["name"] for g in page if isinstance(g, dict) and g.get("name")]
            offset += len(page)
            if not page or offset >= (as_int(body.get("genre-count")) or 0):
                return names


class MusicbrainzResource(ApiResource):
    """MusicBrainz WS/2 (no key, a User-Agent required)."""

    base_url: str = Field(default=MUSICBRAINZ_API_BASE, description="API base URL")

    def client(self) -> MusicbrainzClient:
        return MusicbrainzClient(self._api("musicbrainz", classify, RATE))
