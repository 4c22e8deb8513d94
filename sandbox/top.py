"""`GET /v1/me/top/{tracks|artists}` of the sandbox: the user's top items per time range.

Spotify computes them from listening; the sandbox derives them, deterministically, from the library:
the user's plays within the range's window (4 weeks, 6 months, a year before the sandbox clock) and
what they keep (liked songs, the playlists they own or collaborate on). Each track scores its share of
the most played track's plays in the window (weighted), plus a lasting affinity for the user and a
drift that changes every day (`short_term`), week (`medium_term`) or month (`long_term`), so ranks
move the way a history table should see them move. An artist ranks by the summed scores of its
tracks. The lists stop at `SIZES`, as Spotify's stop short of the whole library. Items are full track
and artist objects of the library's profile: development mode leaves out popularity (tracks,
artists), genres and followers (artists), as everywhere else.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sandbox.harness import Request, Response

if TYPE_CHECKING:
    from sandbox.spotify_api import SpotifyService

# How many days one drift lasts, per time range.
PERIOD_DAYS = {"short_term": 1, "medium_term": 7, "long_term": 30}
# How much of a score is the lasting affinity (the rest drifts): long ranges move least.
STEADINESS = {"short_term": 0.5, "medium_term": 0.7, "long_term": 0.9}
# How far back each range looks at plays.
WINDOW_DAYS = {"short_term": 28, "medium_term": 182, "long_term": 365}
# Plays outweigh keeping: a track played a third as much as the most played one beats any unplayed one.
PLAY_WEIGHT = 3.0
# The longest list per range.
SIZES = {"short_term": 50, "medium_term": 99, "long_term": 99}
DEFAULT_RANGE = "medium_term"


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) for `parts`."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def track_scores(user: str, track_ids: list[str], time_range: str, day: int,
                 plays: dict[str, int] | None = None) -> dict[str, float]:
    """Each track's affinity for the user in `time_range` as of UTC day number `day`: its share of the
    most played track's `plays` in the window (times PLAY_WEIGHT), plus a score in [0, 1) of its own."""
    period = day // PERIOD_DAYS[time_range]
    steady = STEADINESS[time_range]
    plays = plays or {}
    most = max(plays.values(), default=0) or 1
    return {t: PLAY_WEIGHT * plays.get(t, 0) / most + steady * unit_hash(user, t) + (1 - steady) * unit_hash(user, t, time_range, period)
            for t in dict.fromkeys([*track_ids, *plays])}


def top_track_ids(scores: dict[str, float], size: int) -> list[str]:
    return sorted(scores, key=lambda t: (-scores[t], t))[:size]


def top_artist_ids(scores: dict[str, float], artists_of: dict[str, list[str]], size: int) -> list[str]:
    totals: dict[str, float] = {}
    for track_id, score in scores.items():
        for artist_id in artists_of[track_id]:
            totals[artist_id] = totals.get(artist_id, 0.0) + score
    return sorted(totals, key=lambda a: (-totals[a], a))[:size]


def kept_tracks(service: "SpotifyService", user: str) -> list[str]:
    """The user's liked songs, then the tracks of the playlists they own or collaborate on, once each."""
    kept = dict.fromkeys(s.track_id for s in service.liked.get(user, []))
    for playlist in service.world.library.playlists:
        if service.can_write(playlist, user):
            kept.update(dict.fromkeys(i.track_id for i in playlist.items if i.track_id))
    return list(kept)


def plays_in_window(service: "SpotifyService", user: str, time_range: str, now: float) -> dict[str, int]:
    since = datetime.fromtimestamp(now - WINDOW_DAYS[time_range] * 86400, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Counter(p.track_id for p in service.world.library.plays.get(user, []) if since <= p.played_at <= until)


def top_ids(service: "SpotifyService", user: str, kind: str, time_range: str) -> list[str]:
    now = service.world.clock.now()
    plays = plays_in_window(service, user, time_range, now)
    scores = track_scores(user, kept_tracks(service, user), time_range, int(now // 86400), plays)
    if kind == "tracks":
        return top_track_ids(scores, SIZES[time_range])
    artists_of = {t: service.tracks[t].artist_ids for t in scores}
    return top_artist_ids(scores, artists_of, SIZES[time_range])


def get_top(service: "SpotifyService", request: Request) -> Response:
    """One page of the signed-in user's top tracks or artists."""
    # spotify_api routes here, so its helpers are imported when the route runs, not when it loads
    from sandbox.spotify_api import ApiError, json_response, paging, parse_limit, parse_offset

    user = service._user(request)
    kind = request.path_params["type"]
    if kind not in ("tracks", "artists"):
        raise ApiError(404, "Resource not found")
    time_range = request.query.get("time_range") or DEFAULT_RANGE
    if time_range not in PERIOD_DAYS:
        raise ApiError(400, "Invalid time range")
    limit, offset = parse_limit(request.query, 20, 50), parse_offset(request.query)
    v = service._view(request)
    ids = top_ids(service, user, kind, time_range)
    render = service.track_raw if kind == "tracks" else service.artist_full
    items = [render(v, item_id) for item_id in ids[offset:offset + limit]]
    return json_response(200, paging(v.base, f"/v1/me/top/{kind}", request.query, offset, limit, len(ids), items))
