"""The request ledger: every outside request counted once, persisted, and held to a daily budget.

Rows are keyed by developer account (client id; empty for services without one), user, service,
endpoint template, run id, asset and UTC day, in SQLite under `<data_dir>/state/ledger.sqlite` so
several processes share one count. It is mixtape's one request count: `ops.api_requests` is copied
from it. Only Spotify Web API requests (`/v1/...`) count towards the daily budget, as with Spotify's
quota; accounts requests (token refreshes, authorize) and the enrichment services are recorded but
free. The ledger also keeps cooldowns (a QUOTA_EXCEEDED or an over-cap Retry-After: no request until
then) and the cached access profile of each app.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from resources.spotify_errors import SpotifyBudgetSpent, SpotifyQuotaExceeded, SpotifyRateLimited

SPOTIFY = "spotify"

# Route templates as the sandbox's /_sandbox/stats names them; the first match wins.
ENDPOINT_TEMPLATES = [
    "/authorize",
    "/api/token",
    "/v1/me",
    "/v1/me/tracks",
    "/v1/me/playlists",
    "/v1/me/library",
    "/v1/me/library/contains",
    "/v1/playlists/{playlist_id}",
    "/v1/playlists/{playlist_id}/items",
    "/v1/playlists/{playlist_id}/tracks",
    "/v1/users/{user_id}/playlists",
    "/v1/tracks",
    "/v1/tracks/{track_id}",
    "/v1/artists",
    "/v1/artists/{artist_id}",
    "/v1/albums",
    "/v1/albums/{album_id}",
    "/v1/albums/{album_id}/tracks",
    "/v1/audio-features",
    "/v1/search",
]
_COMPILED = [(t, re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", t) + "$")) for t in ENDPOINT_TEMPLATES]

# `asset`: the asset whose step sent the request ('' outside any asset: sensors, login). `legacy`:
# rows from before the ledger knew the asset, whose requests `ops.api_requests` already holds.
# `last_at`: when the row's latest request was sent (epoch seconds).
_REQUESTS = """
CREATE TABLE IF NOT EXISTS requests (
    client_id TEXT NOT NULL, user_id TEXT NOT NULL, service TEXT NOT NULL, endpoint TEXT NOT NULL,
    run_id TEXT NOT NULL, asset TEXT NOT NULL DEFAULT '', day TEXT NOT NULL, quota INTEGER NOT NULL,
    requests INTEGER NOT NULL, last_at REAL, legacy INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, user_id, service, endpoint, run_id, asset, day));
"""
_SCHEMA = [
    "CREATE INDEX IF NOT EXISTS requests_by_day ON requests (client_id, day)",
    "CREATE INDEX IF NOT EXISTS requests_by_run ON requests (run_id)",
    """CREATE TABLE IF NOT EXISTS cooldowns (
    client_id TEXT PRIMARY KEY, resume_at REAL NOT NULL, kind TEXT NOT NULL, recorded_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS profiles (
    client_id TEXT PRIMARY KEY, profile TEXT NOT NULL, checked_at REAL NOT NULL)""",
]


def endpoint_of(method: str, url: str) -> str:
    """`"GET /v1/playlists/{playlist_id}/items"` for a request, the key the sandbox counts by."""
    path = urlsplit(url).path.rstrip("/") or "/"
    for template, pattern in _COMPILED:
        if pattern.match(path):
            return f"{method} {template}"
    return f"{method} {path}"


def counts_to_quota(endpoint: str) -> bool:
    """Web API requests count towards the daily quota; accounts requests do not."""
    return endpoint.split(" ", 1)[-1].startswith("/v1/")


def utc_day(now: float) -> str:
    """The UTC day of an epoch time, as `YYYY-MM-DD`."""
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def utc_naive(ts: float) -> datetime:
    """An epoch time as a naive UTC datetime (the project's convention)."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


def next_utc_midnight(now: float) -> float:
    """The epoch time of the next UTC day boundary."""
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (day + timedelta(days=1)).timestamp()


@dataclass(frozen=True)
class Cooldown:
    resume_at: float
    kind: str  # "quota" or "rate_limit"


class Ledger:
    """SQLite-backed request accounting, safe across threads and processes."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
        with self._transaction() as db:
            _upgrade(db)
            for statement in _SCHEMA:
                db.execute(statement)

    @classmethod
    def in_data_dir(cls, data_dir: Path | str) -> "Ledger":
        """The ledger at `<data_dir>/state/ledger.sqlite`."""
        return cls(Path(data_dir) / "state" / "ledger.sqlite")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One connection per process, kept open: closing the last one checkpoints the WAL with an fsync,
        # which made every request cost ~20 ms. A forked child opens its own.
        with self._lock:
            if self._db is None or self._pid != os.getpid():
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._pid = os.getpid()
            yield self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: check-then-count is atomic
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite may already have rolled back (e.g. after SQLITE_BUSY)
                    db.execute("ROLLBACK")
                raise

    def reserve(self, *, client_id: str, user: str, endpoint: str, run_id: str, now: float,
                budget_per_day: int | None, service: str = SPOTIFY, asset: str = "") -> None:
        """Count one request about to be sent, unless (for a Spotify Web API request) a cooldown is
        active or the day's budget is spent."""
        quota = service == SPOTIFY and counts_to_quota(endpoint)
        day = utc_day(now)
        with self._transaction() as db:
            if quota:
                self._refuse_if_paused(db, client_id, now, budget_per_day, day)
            db.execute(
                "INSERT INTO requests (client_id, user_id, service, endpoint, run_id, asset, day, quota, requests, last_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (client_id, user_id, service, endpoint, run_id, asset, day) "
                "DO UPDATE SET requests = requests + 1, last_at = excluded.last_at, legacy = 0",
                (client_id, user or "", service, endpoint, run_id, asset or "", day, int(quota), now),
            )

    def _refuse_if_paused(self, db: sqlite3.Connection, client_id: str, now: float,
                          budget_per_day: int | None, day: str) -> None:
        cooldown = self._cooldown(db, client_id, now)
        if cooldown and cooldown.kind == "quota":
            raise SpotifyQuotaExceeded(utc_naive(cooldown.resume_at), "cooldown recorded earlier")
        if cooldown:
            raise SpotifyRateLimited(utc_naive(cooldown.resume_at), "cooldown recorded earlier")
        if budget_per_day is not None and self._spent(db, client_id, day) >= budget_per_day:
            raise SpotifyBudgetSpent(utc_naive(next_utc_midnight(now)), f"{budget_per_day} requests per day")

    @staticmethod
    def _spent(db: sqlite3.Connection, client_id: str, day: str, user: str | None = None) -> int:
        sql = "SELECT COALESCE(SUM(requests), 0) FROM requests WHERE client_id = ? AND day = ? AND quota = 1"
        args: tuple = (client_id, day)
        if user is not None:
            sql, args = sql + " AND user_id = ?", args + (user,)
        return db.execute(sql, args).fetchone()[0]

    def spent_today(self, client_id: str, now: float, user: str | None = None) -> int:
        """Quota-counted requests of the developer account (optionally one user) on the UTC day of `now`."""
        with self._connect() as db:
            return self._spent(db, client_id, utc_day(now), user)

    def remaining_today(self, client_id: str, now: float, budget_per_day: int | None) -> int | None:
        """Requests left in today's budget (None = unlimited)."""
        if budget_per_day is None:
            return None
        return max(0, budget_per_day - self.spent_today(client_id, now))

    @staticmethod
    def _cooldown(db: sqlite3.Connection, client_id: str, now: float) -> Cooldown | None:
        row = db.execute("SELECT resume_at, kind FROM cooldowns WHERE client_id = ?", (client_id,)).fetchone()
        return Cooldown(*row) if row and row[0] > now else None

    def cooldown(self, client_id: str, now: float) -> Cooldown | None:
        """The active cooldown of a developer account, if any."""
        with self._connect() as db:
            return self._cooldown(db, client_id, now)

    def set_cooldown(self, client_id: str, resume_at: float, kind: str, now: float) -> None:
        """No quota-counted request for this account until `resume_at`."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO cooldowns VALUES (?, ?, ?, ?)", (client_id, resume_at, kind, now))

    def counts(self, *, client_id: str | None = None, user: str | None = None, run_id: str | None = None,
               day: str | None = None, service: str | None = None, asset: str | None = None) -> dict[str, int]:
        """Requests per endpoint, filtered by whatever is given."""
        where = {"client_id": client_id, "user_id": user, "run_id": run_id, "day": day, "service": service,
                 "asset": asset}
        clauses = [(f"{k} = ?", v) for k, v in where.items() if v is not None]
        sql = "SELECT endpoint, SUM(requests) FROM requests"
        if clauses:
            sql += " WHERE " + " AND ".join(c for c, _ in clauses)
        with self._connect() as db:
            rows = db.execute(sql + " GROUP BY endpoint ORDER BY endpoint", [v for _, v in clauses]).fetchall()
        return dict(rows)

    def totals(self, run_ids: list[str] | None = None) -> list[dict]:
        """Requests per service, endpoint, user, run and asset (days and apps summed), with the time of
        the latest; rows from before the ledger knew the asset left out. What `ops.api_requests` copies."""
        sql = ("SELECT service, endpoint, user_id, run_id, asset, SUM(requests) AS requests, MAX(last_at) AS last_at "
               "FROM requests WHERE legacy = 0")
        args: list = []
        if run_ids is not None:
            sql += f" AND run_id IN ({', '.join('?' * len(run_ids))})"
            args = list(run_ids)
        with self._connect() as db:
            cursor = db.execute(sql + " GROUP BY service, endpoint, user_id, run_id, asset "
                                      "ORDER BY run_id, asset, service, endpoint, user_id", args)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def cached_profile(self, client_id: str, now: float, ttl_s: float) -> str | None:
        """The access profile probed for this app within the last `ttl_s` seconds, if any."""
        with self._connect() as db:
            row = db.execute("SELECT profile, checked_at FROM profiles WHERE client_id = ?", (client_id,)).fetchone()
        return row[0] if row and now - row[1] < ttl_s else None

    def save_profile(self, client_id: str, profile: str, now: float) -> None:
        """Remember the app's access profile (devmode or extended)."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)", (client_id, profile, now))


def _upgrade(db: sqlite3.Connection) -> None:
    """Create the requests table, or bring one from before `asset` up to date, keeping every row
    (marked legacy: `ops.api_requests` already counted the requests of their assets)."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(requests)")]
    if "asset" in columns:
        return
    if not columns:
        db.execute(_REQUESTS)
        return
    db.execute("ALTER TABLE requests RENAME TO requests_before_asset")
    db.execute(_REQUESTS)
    db.execute("INSERT INTO requests (client_id, user_id, service, endpoint, run_id, asset, day, quota, requests, legacy) "
               "SELECT client_id, user_id, service, endpoint, run_id, '', day, quota, requests, 1 FROM requests_before_asset")
    db.execute("DROP TABLE requests_before_asset")
