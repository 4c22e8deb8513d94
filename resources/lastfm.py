"""Last.fm: tags, listeners and playcount of tracks and artists (reference §D), and a user's scrobbles,
on the shared HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from resources.http import ApiResource, JsonApi, Outcome, Reply, ServiceError, as_int, as_list
from resources.settings import LASTFM_API_BASE

# The old ToS said 5 requests per second; the reference budgets at most 4.
RATE = (4, 1.0)
SANDBOX_API_KEY = "sandbox-lastfm-key"
RECENT_PAGE = 200  # user.getRecentTracks' largest page
MISSING_CODES = {6}  # invalid parameters / not found
RETRYABLE_CODES = {8, 11, 16, 29}  # operation failed, offline, temporarily unavailable, rate limit


@dataclass
class LastfmTrackInfo:
    artist: str  # the names Last.fm corrected to
    track: str
    listeners: int | None
    playcount: int | None
    tags: list[str]


@dataclass
class LastfmArtistInfo:
    artist: str
    listeners: int | None
    playcount: int | None
    tags: list[str]


@dataclass
class Scrobble:
    artist: str
    track: str
    album: str | None
    started_at: int  # Unix seconds: Last.fm stamps a scrobble with the start of the play


def classify(reply: Reply) -> Outcome:
    """Last.fm's error code is in the body whatever the HTTP status: judge by the body first."""
    body = reply.body
    if isinstance(body, dict) and "error" in body:
        code = as_int(body["error"])
        if code in MISSING_CODES:
            return Outcome.missing(body.get("message", "not found"))
        if code in RETRYABLE_CODES:
            return Outcome.retry(f"error {code}")
        return Outcome.fail(f"error {code}: {body.get('message', '')}")
    if reply.status >= 500:
        return Outcome.retry(f"HTTP {reply.status}")
    if reply.status != 200 or not isinstance(body, dict):
        return Outcome.fail(f"HTTP {reply.status}")
    return Outcome.found(body)


def tag_names(tags: dict | str | None) -> list[str]:
    """`{"tag": [..]}`, `{"tag": {..}}` (a single tag) or "" -> the tag names."""
    if not isinstance(tags, dict):
        return []
    return [t["name"] for t in as_list(tags.get("tag")) if isinstance(t, dict) and t.get("name")]


def parse_scrobble(row: dict) -> Scrobble | None:
    """One user.getRecentTracks entry; None for the track playing now (no date)."""
    started = as_int((row.get("date") or {}).get("uts"))
    if started is None:
        return None
    album = (row.get("album") or {}).get("#text") or None
    return Scrobble(artist=(row.get("artist") or {}).get("#text") or "", track=row.get("name") or "", album=album,
                    started_at=started)


class LastfmClient:
    def __init__(self, api: JsonApi, api_key: str) -> None:
        self.api, self.api_key = api, api_key

    def track_info(self, artist: str, track: str) -> LastfmTrackInfo | None:
        """One track.getInfo with autocorrect: tags, listeners and playcount; None when unknown."""
        body = self._call("track.getInfo", artist=artist, track=track)
        if body is None:
            return None
        info = body.get("track") or {}
        return LastfmTrackInfo(
            artist=(info.get("artist") or {}).get("name") or artist,
            track=info.get("name") or track,
            listeners=as_int(info.get("listeners")),
            playcount=as_int(info.get("playcount")),
            tags=tag_names(info.get("toptags")),
        )

    def artist_info(self, artist: str) -> LastfmArtistInfo | None:
        """One artist.getInfo with autocorrect: tags and stats; None when unknown."""
        body = self._call("artist.getInfo", artist=artist)
        if body is None:
            return None
        info = body.get("artist") or {}
        stats = info.get("stats") or {}
        return LastfmArtistInfo(
            artist=info.get("name") or artist,
            listeners=as_int(stats.get("listeners")),
            playcount=as_int(stats.get("playcount")),
            tags=tag_names(info.get("tags")),
        )

    def recent_tracks(self, user: str, since: int) -> list[Scrobble]:
        """The user's scrobbles that started at `since` (Unix seconds) or later, oldest first, reading
        user.getRecentTracks page by page (the track playing now has no date yet and is left out)."""
        scrobbles: list[Scrobble] = []
        page, pages = 1, 1
        while page <= pages:
            body = self._call("user.getRecentTracks", user=user, limit=str(RECENT_PAGE), page=str(page), **{"from": str(since)})
            if body is None:
                raise ServiceError("lastfm", f"no Last.fm user named {user!r}")
            recent = body.get("recenttracks") or {}
            scrobbles += [scrobble for row in as_list(recent.get("track")) if (scrobble := parse_scrobble(row))]
            pages = as_int((recent.get("@attr") or {}).get("totalPages")) or 1
            page += 1
        return sorted(scrobbles, key=lambda s: s.started_at)

    def _call(self, method: str, **params: str) -> dict | None:
        query = {"method": method, **params, "autocorrect": "1", "api_key": self.api_key, "format": "json"}
        outcome = self.api.get("/2.0/", query, f"GET /2.0/?method={method}")
        return outcome.data if outcome.kind == "found" else None


def parse_usernames(text: str | None) -> dict[str, str]:
    """"alice=rj, bob=bobfm" -> {"alice": "rj", "bob": "bobfm"}."""
    pairs = [part.split("=", 1) for part in (text or "").split(",") if "=" in part]
    return {user.strip(): name.strip() for user, name in pairs if user.strip() and name.strip()}


class LastfmResource(ApiResource):
    """Last.fm's read API, with the app's key (the sandbox's key when none is configured)."""

    base_url: str = Field(default=LASTFM_API_BASE, description="API base URL")
    api_key: str | None = Field(default=None, description="the API key: configure it as an EnvVar; None: the sandbox's")
    usernames: str | None = Field(default=None, description="whose scrobbles to read: `user=lastfm_name` pairs, "
                                  "comma-separated (MIXTAPE_LASTFM_USERS)")

    def username_of(self, user: str) -> str | None:
        """The Last.fm account configured for a mixtape user, or None."""
        return parse_usernames(self.usernames).get(user)

    def client(self) -> LastfmClient:
        return LastfmClient(self._api("lastfm", classify, RATE), self.api_key or SANDBOX_API_KEY)
