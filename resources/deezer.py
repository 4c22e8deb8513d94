"""Deezer: bpm, gain and rank of a track by ISRC (reference §C), on the shared HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from resources.http import ApiResource, JsonApi, Outcome, Reply, as_float, as_int
from resources.settings import DEEZER_API_BASE

# Documented: 50 requests per 5 s (the limiter leaves room for arrival jitter).
RATE = (50, 5.0)
RETRYABLE_CODES = {4, 700}  # quota, busy
MISSING_CODES = {800}  # no data


@dataclass
class DeezerTrack:
    isrc: str
    deezer_id: int | None
    bpm_raw: float | None  # as Deezer sent it: 0 means unknown
    gain: float | None
    rank: int | None
    release_date: str | None


def classify(reply: Reply) -> Outcome:
    """Deezer answers errors with HTTP 200 and an error object: judge by the body."""
    body = reply.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = as_int(body["error"].get("code"))
        if code in MISSING_CODES:
            return Outcome.missing("no data")
        if code in RETRYABLE_CODES:
            return Outcome.retry(f"error {code}")
        return Outcome.fail(f"error {code}: {body['error'].get('message', '')}")
    if reply.status >= 500 or reply.status == 429:
        return Outcome.retry(f"HTTP {reply.status}")
    if reply.status != 200 or not isinstance(body, dict):
        return Outcome.fail(f"HTTP {reply.status}")
    return Outcome.found(body)


class DeezerClient:
    def __init__(self, api: JsonApi) -> None:
        self.api = api

    def track_by_isrc(self, isrc: str) -> DeezerTrack | None:
        """The track Deezer files under `isrc`, or None when Deezer has no data."""
        outcome = self.api.get(f"/track/isrc:{isrc}", None, "GET /track/isrc:{isrc}")
        if outcome.kind == "missing":
            return None
        body = outcome.data
        return DeezerTrack(
            isrc=isrc,
            deezer_id=as_int(body.get("id")),
            bpm_raw=as_float(body.get("bpm")),
            gain=as_float(body.get("gain")),
            rank=as_int(body.get("rank")),
            release_date=body.get("release_date") or (body.get("album") or {}).get("release_date"),
        )


class DeezerResource(ApiResource):
    """Deezer's public API (no key)."""

    base_url: str = Field(default=DEEZER_API_BASE, description="API base URL")

    def client(self) -> DeezerClient:
        return DeezerClient(self._api("deezer", classify, RATE))
