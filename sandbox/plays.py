"""Listening in the sandbox: plays made up per user, recently-played, Last.fm scrobbles and the export.

`listening` makes up a user's plays for any span of time from the library alone: each UTC day's
sessions come from an RNG seeded by the user and the day, so the plays of a day are the same whatever
span asks for them, and a simulated week is the next seven days of the same listener. A play stamps
its end (`played_at`), as Spotify's recently-played and the Extended Streaming History export do;
Last.fm stamps a scrobble with the play's start.

What the services show follows the sandbox clock: a play is there once its `played_at` has passed.
`/v1/me/player/recently-played` keeps only a user's last 50 plays, as Spotify does.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus, urlencode

from sandbox.library import Library, Play

KEPT = 50  # recently-played remembers this many plays
SESSION_HOURS = list(range(7, 23))  # sessions start between 07:00 and 22:59 UTC, so a day's plays end that day or just after
HOUR_WEIGHTS = [1, 3, 2, 1, 1, 2, 2, 1, 1, 2, 3, 3, 4, 4, 3, 2]  # mornings, evenings
SKIP_SHARE = 0.15
SCROBBLE_MIN_MS = 30_000
EXPORT_PLAYS_PER_FILE = 10_000
EXPORT_FOLDER = "Spotify Extended Streaming History"
UNPLAYED_SHARE = 0.12  # liked songs a listener saves and never plays
ERA_DAYS = 91  # favourites rotate with the seasons
IN_ROTATION = 0.6  # the share of a listener's tracks they play in a season
EXPORT_DAYS = 365  # a whole export's history before the plays the services show (generate, the demo)


def iso(ms: int) -> str:
    """Epoch milliseconds as Spotify writes a play's time: ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


# ---------------------------------------------------------------------------------------------
# Making plays up


def track_pool(library: Library, user: str) -> list[str]:
    """The tracks a user plays, favourites first: liked songs, then their own playlists' tracks; a
    share of the liked songs (`UNPLAYED_SHARE`) is saved and never played."""
    owned = [i.track_id for p in library.playlists if p.owner == user for i in p.items if i.track_id]
    liked = [s.track_id for s in library.liked.get(user, []) if _unit("unplayed", user, s.track_id) >= UNPLAYED_SHARE]
    return list(dict.fromkeys(liked + owned)) or [t.id for t in library.tracks]


def _unit(*parts: object) -> float:
    return _seed(*parts) / 2**64


def _era_weights(user: str, pool: list[str], era: int) -> list[float]:
    """The pool's weights in one era: favourites come back far more often (1/rank), and only the tracks in
    rotation that season (`IN_ROTATION` of them) are played at all, so old favourites fall silent."""
    weights = [1 / (rank + 1) if _unit("era", user, track, era) < IN_ROTATION else 0.0
               for rank, track in enumerate(pool)]
    return weights if any(weights) else [1 / (rank + 1) for rank in range(len(pool))]


def listening(library: Library, user: str, start: datetime, end: datetime, plays_per_day: float = 40.0,
              skip_share: float = SKIP_SHARE) -> list[Play]:
    """The plays `user` ends in [start, end) (naive UTC), oldest first. A day holds a few sessions
    of back-to-back tracks; favourites come back far more often (weights fall as 1/rank) among the
    tracks in rotation that season; a share of the plays (about one in seven by default) is skipped
    within seconds."""
    pool = track_pool(library, user)
    durations = {t.id: t.duration_ms for t in library.tracks}
    eras: dict[int, list[float]] = {}
    plays: list[Play] = []
    day = datetime(start.year, start.month, start.day)
    while day < end:
        era = day.toordinal() // ERA_DAYS
        if era not in eras:
            eras[era] = list(_accumulate(_era_weights(user, pool, era)))
        plays += _day(user, day, pool, eras[era], durations, plays_per_day, skip_share)
        day += timedelta(days=1)
    low, high = start.replace(tzinfo=UTC).timestamp() * 1000, end.replace(tzinfo=UTC).timestamp() * 1000
    return [p for p in plays if low <= epoch_ms(p.played_at) < high]


def _accumulate(weights: list[float]):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _day(user: str, day: datetime, pool: list[str], cumulative: list[float], durations: dict[str, int],
         plays_per_day: float, skip_share: float) -> list[Play]:
    rng = random.Random(_seed("plays", user, day.date().isoformat()))
    sessions = sorted(rng.choices(SESSION_HOURS, HOUR_WEIGHTS, k=rng.randint(1, 4)))
    per_session = plays_per_day / 2.5
    plays: list[Play] = []
    clock = day
    for hour in sessions:
        clock = max(clock, day + timedelta(hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)))
        for _ in range(max(1, int(rng.expovariate(1 / per_session)))):
            track_id = pool[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
            duration = durations[track_id]
            ms_played = rng.randint(2_000, 29_000) if rng.random() < skip_share else duration
            clock += timedelta(milliseconds=ms_played + rng.randint(0, 900))
            plays.append(Play(track_id=track_id, played_at=iso(int(clock.replace(tzinfo=UTC).timestamp() * 1000)),
                              ms_played=ms_played))
    return plays


# ---------------------------------------------------------------------------------------------
# What the services show


@dataclass(frozen=True)
class Stamped:
    ended_ms: int
    play: Play


class PlayHistory:
    """Every user's plays in time order, for the services to cut at the sandbox clock."""

    def __init__(self, library: Library):
        self.tracks = {t.id: t for t in library.tracks}
        self.artist_names = {a.id: a.name for a in library.artists}
        self.album_names = {a.id: a.name for a in library.albums}
        self.by_user = {user: sorted((Stamped(epoch_ms(p.played_at), p) for p in plays), key=lambda s: s.ended_ms)
                        for user, plays in library.plays.items()}

    def played(self, user: str, now_s: float) -> list[Stamped]:
        """The user's plays ended by now, oldest first."""
        stamped = self.by_user.get(user, [])
        return stamped[:bisect.bisect_right([s.ended_ms for s in stamped], int(now_s * 1000))]

    def recently_played(self, user: str, now_s: float, query: dict[str, str], base: str, render_track) -> dict:
        """The body of GET /v1/me/player/recently-played: of the last 50 plays, newest first, those
        after (or before) the cursor, at most `limit`; `next` pages to older plays with `before`."""
        limit, after, before = _cursor_query(query)
        kept = self.played(user, now_s)[-KEPT:]
        if after is not None:
            matching = [s for s in kept if s.ended_ms > after]
        elif before is not None:
            matching = [s for s in kept if s.ended_ms < before]
        else:
            matching = kept
        page = matching[-limit:][::-1]
        path = f"{base}/v1/me/player/recently-played"
        older = bool(page) and any(s.ended_ms < page[-1].ended_ms for s in kept)
        return {
            "href": f"{path}?{urlencode(query)}" if query else path,
            "items": [{"track": render_track(s.play.track_id), "played_at": iso(s.ended_ms),
                       "context": s.play.context} for s in page],
            "limit": limit,
            "next": f"{path}?{urlencode({'before': page[-1].ended_ms, 'limit': limit})}" if older else None,
            "cursors": {"after": str(page[0].ended_ms), "before": str(page[-1].ended_ms)} if page else None,
            "total": len(matching),
        }

    def scrobbles(self, user: str, now_s: float) -> list[Stamped]:
        """The plays Last.fm scrobbled, oldest first: those over 30 s, played at least half through
        or for four minutes (Last.fm's rule)."""
        return [s for s in self.played(user, now_s)
                if s.play.ms_played >= SCROBBLE_MIN_MS
                and (2 * s.play.ms_played >= self.tracks[s.play.track_id].duration_ms or s.play.ms_played >= 240_000)]

    def names(self, track_id: str) -> tuple[str, str, str]:
        """(track, first artist, album) names of a track, as the export and Last.fm write them."""
        track = self.tracks[track_id]
        return track.name, self.artist_names[track.artist_ids[0]], self.album_names[track.album_id]


class CursorError(ValueError):
    """A recently-played query Spotify answers with 400."""


def _cursor_query(query: dict[str, str]) -> tuple[int, int | None, int | None]:
    try:
        limit = int(query.get("limit") or 20)
        after = int(query["after"]) if query.get("after") else None
        before = int(query["before"]) if query.get("before") else None
    except ValueError:
        raise CursorError("Invalid limit or cursor") from None
    if not 1 <= limit <= KEPT:
        raise CursorError("Invalid limit")
    if after is not None and before is not None:
        raise CursorError("Only one of after and before may be given")
    return limit, after, before


def recent_tracks_page(history: PlayHistory, user: str, now_s: float, query: dict[str, str]) -> dict:
    """The body of Last.fm's user.getRecentTracks: scrobbles newest first, `limit` (≤ 200, default
    50) a page, whose start lies within `from`/`to` (Unix seconds, both inclusive); counts are strings."""
    limit = min(200, max(1, int(query.get("limit") or 50)))
    page = max(1, int(query.get("page") or 1))
    low, high = int(query.get("from") or 0), int(query.get("to") or 2**40)
    started = [((s.ended_ms - s.play.ms_played) // 1000, s) for s in history.scrobbles(user, now_s)]
    chosen = [(at, s) for at, s in started if low <= at <= high][::-1]
    rows = chosen[(page - 1) * limit: page * limit]
    tracks = [_scrobble(history, at, s) for at, s in rows]
    return {"recenttracks": {
        "track": tracks[0] if len(tracks) == 1 else tracks,
        "@attr": {"user": user, "totalPages": str(max(1, -(-len(chosen) // limit))), "page": str(page),
                  "perPage": str(limit), "total": str(len(chosen))},
    }}


def _scrobble(history: PlayHistory, started_s: int, stamped: Stamped) -> dict:
    track, artist, album = history.names(stamped.play.track_id)
    artist_url = f"https://www.last.fm/music/{quote_plus(artist)}"
    return {
        "artist": {"mbid": "", "#text": artist},
        "streamable": "0",
        "image": [{"size": "small", "#text": ""}, {"size": "large", "#text": ""}],
        "mbid": "",
        "album": {"mbid": "", "#text": album},
        "name": track,
        "url": f"{artist_url}/_/{quote_plus(track)}",
        "date": {"uts": str(started_s), "#text": datetime.fromtimestamp(started_s, UTC).strftime("%d %b %Y, %H:%M")},
    }


# ---------------------------------------------------------------------------------------------
# The Extended Streaming History export


def export_plays(library: Library, user: str, history_days: int = 0) -> list[Stamped]:
    """The user's plays as the export holds them, oldest first: the plays the services show (the
    library's), and as many days of listening before their first day as `history_days` asks."""
    shown = PlayHistory(library).by_user.get(user, [])
    if not shown or not history_days:
        return shown
    first = datetime.fromtimestamp(shown[0].ended_ms / 1000, UTC).replace(tzinfo=None)
    first_day = datetime(first.year, first.month, first.day)
    earlier = listening(library, user, first_day - timedelta(days=history_days), first_day)
    return [Stamped(epoch_ms(p.played_at), p) for p in earlier] + shown


def export_rows(library: Library, user: str, history_days: int = 0) -> list[dict]:
    """The user's plays as Spotify's export lists them (oldest first), with the fields mixtape must
    never keep (IP address, user agent, platform, country) filled in as the real files have them."""
    history = PlayHistory(library)
    rows = []
    for stamped in export_plays(library, user, history_days):
        play = stamped.play
        track, artist, album = history.names(play.track_id)
        rng = random.Random(_seed("export", user, stamped.ended_ms))
        skipped = play.ms_played < SCROBBLE_MIN_MS
        rows.append({
            "ts": iso(stamped.ended_ms)[:19] + "Z",
            "username": user,
            "platform": "android",
            "ms_played": play.ms_played,
            "conn_country": "SE",
            "ip_addr": sandbox_ip(user),
            "user_agent_decrypted": sandbox_user_agent(user),
            "master_metadata_track_name": track,
            "master_metadata_album_artist_name": artist,
            "master_metadata_album_album_name": album,
            "spotify_track_uri": f"spotify:track:{play.track_id}",
            "episode_name": None,
            "episode_show_name": None,
            "spotify_episode_uri": None,
            "reason_start": rng.choice(["trackdone", "clickrow", "fwdbtn"]),
            "reason_end": "fwdbtn" if skipped else "trackdone",
            "shuffle": rng.random() < 0.4,
            "skipped": skipped,
            "offline": rng.random() < 0.05,
            "offline_timestamp": stamped.ended_ms // 1000,
            "incognito_mode": False,
        })
    return rows


def sandbox_ip(user: str) -> str:
    """The made-up address a user's export carries (TEST-NET-3, never routed)."""
    return f"203.0.113.{_seed('ip', user) % 250 + 1}"


def sandbox_user_agent(user: str) -> str:
    return f"Spotify/8.9.96 Android/34 (sandbox-{user})"


def write_export(library: Library, user: str, directory: Path, as_zip: bool = False,
                 per_file: int = EXPORT_PLAYS_PER_FILE, history_days: int = 0) -> list[Path]:
    """Write the user's export as Spotify delivers it: `Streaming_History_Audio_<years>_<n>.json`
    files of at most `per_file` plays, or those files inside `my_spotify_data.zip`."""
    rows = export_rows(library, user, history_days)
    files = {}
    for n, start in enumerate(range(0, len(rows), per_file)):
        chunk = rows[start:start + per_file]
        first, last = chunk[0]["ts"][:4], chunk[-1]["ts"][:4]
        years = first if first == last else f"{first}-{last}"
        files[f"Streaming_History_Audio_{years}_{n}.json"] = json.dumps(chunk, ensure_ascii=False, indent=1)
    directory.mkdir(parents=True, exist_ok=True)
    if as_zip:
        path = directory / "my_spotify_data.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(f"{EXPORT_FOLDER}/{name}", text)
        return [path]
    paths = []
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
        paths.append(directory / name)
    return paths
