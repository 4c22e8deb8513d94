"""The enrichment strategy mixtape replaced, as a client: per track, Last.fm's correction, info, top tags
and similar tracks (four calls), Deezer by ISRC with a search fallback (and a lookup of what the search
found, since search items carry no bpm), MusicBrainz asked every run for tracks without an ISRC (never
cached). Deezer and Last.fm answers are cached in memory, hits for the run's life, misses for 5 minutes.

It runs one track after another, each service paced at the same limits as mixtape's clients, on the
sandbox's movable clock: its waiting is simulated (moving the clock the sandbox judges rates by), so
its time at the real limits is measured without spending it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from resources.deezer import RATE as DEEZER_RATE
from resources.http import USER_AGENT, RateLimiter, Timing
from resources.lastfm import RATE as LASTFM_RATE
from resources.lastfm import SANDBOX_API_KEY
from resources.musicbrainz import RATE as MUSICBRAINZ_RATE

MISS_TTL_S = 300.0


@dataclass
class BaselineEnricher:
    """The naive per-track enrichment against the sandbox at `base_urls`, paced on `timing`."""

    base_urls: dict[str, str]
    timing: Timing
    cache: dict[tuple, tuple[bool, float]] = field(default_factory=dict)  # key -> (hit, fetched at)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.limiters = {"deezer": RateLimiter(*DEEZER_RATE, self.timing), "lastfm": RateLimiter(*LASTFM_RATE, self.timing),
                         "musicbrainz": RateLimiter(*MUSICBRAINZ_RATE, self.timing)}

    def enrich(self, tracks: list[dict]) -> None:
        """One run over catalog rows (name, isrc, artist_names)."""
        for track in tracks:
            artist, title, isrc = track["artist_names"][0], track["name"], track["isrc"]
            self.lastfm(artist, title)
            if not isrc:
                isrc = self.musicbrainz(artist, title)
            self.deezer(artist, title, isrc)

    def lastfm(self, artist: str, title: str) -> None:
        key = ("lastfm", artist, title)
        if self.cached(key):
            return
        correction = self.get("lastfm", "/2.0/", method="track.getCorrection", artist=artist, track=title)
        corrected = (correction.get("corrections") or {}) if isinstance(correction, dict) else {}
        found = corrected.get("correction", {}).get("track", {}) if isinstance(corrected, dict) else {}
        artist, title = (found.get("artist") or {}).get("name", artist), found.get("name", title)
        info = self.get("lastfm", "/2.0/", method="track.getInfo", artist=artist, track=title)
        self.get("lastfm", "/2.0/", method="track.getTopTags", artist=artist, track=title)
        self.get("lastfm", "/2.0/", method="track.getSimilar", artist=artist, track=title, limit="20")
        self.remember(key, "track" in info)

    def musicbrainz(self, artist: str, title: str) -> str | None:
        query = f'recording:"{title}" AND artist:"{artist}"'
        found = self.get("musicbrainz", "/ws/2/recording", query=query, limit="5", fmt="json").get("recordings") or []
        if not found or found[0].get("score", 0) < 90:
            return None
        recording = self.get("musicbrainz", f"/ws/2/recording/{found[0]['id']}", inc="isrcs", fmt="json")
        return (recording.get("isrcs") or [None])[0]

    def deezer(self, artist: str, title: str, isrc: str | None) -> None:
        key = ("deezer", isrc or f"{artist}|{title}")
        if self.cached(key):
            return
        track = self.get("deezer", f"/track/isrc:{isrc}") if isrc else {}
        if "id" not in track:
            items = self.get("deezer", "/search", q=f'artist:"{artist}" track:"{title}"').get("data") or []
            track = self.get("deezer", f"/track/{items[0]['id']}") if items else {}
        self.remember(key, "id" in track)

    def cached(self, key: tuple) -> bool:
        hit, at = self.cache.get(key, (False, float("-inf")))
        return hit or self.timing.clock() - at < MISS_TTL_S

    def remember(self, key: tuple, hit: bool) -> None:
        self.cache[key] = (hit, self.timing.clock())

    def get(self, service: str, path: str, **params: str) -> dict:
        if service == "lastfm":
            params = {**params, "api_key": SANDBOX_API_KEY, "format": "json"}
        limiter = self.limiters[service]
        limiter.acquire()
        try:
            response = self.session.get(self.base_urls[service] + path, params=params, timeout=10)
        finally:
            limiter.release()
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
