"""The enrichment cache rules, pure: TTLs, which keys a run fetches, and how fresh rows merge in.

A cached row has a status: `hit` (the service knew the key), `miss` (it did not) or `error` (the
service refused the question for good, e.g. an invalid parameter). Hits live for the source's hit TTL;
a miss is asked again after the short miss TTL (5 minutes), and each further miss in a row waits
longer (1 hour, 1 day, then every week: `MISS_BACKOFF`), so a track a service does not know is not
asked about on every run; a row counts its misses in a row (`misses`). Errors live not at all: an error is never cached as a hit and is asked again
on the next run. A service that cannot be reached (connection refused, timeouts, 5xx or rate limits
through every retry) is a transient failure: its keys stay `pending`, which is never written to the
cache at all (an earlier row is kept as it is), so the next run asks them again. "now" is always passed in, so
tests can move past a TTL together with the sandbox clock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

HIT, MISS, ERROR = "hit", "miss", "error"
PENDING = "pending"  # a fetch outcome only, never a cached status: the service could not be reached


@dataclass(frozen=True)
class Ttl:
    hit: timedelta
    miss: timedelta  # the wait after a first miss; later misses in a row wait longer (`miss_wait`)


# How long an answer is trusted: Deezer's audio data barely changes (90 days), Last.fm's tags and
# counts move (7 days), MusicBrainz's recordings rarely (30 days); a miss is asked again after 5 minutes.
DEFAULT_TTLS = {
    "deezer": Ttl(hit=timedelta(days=90), miss=timedelta(minutes=5)),
    "lastfm": Ttl(hit=timedelta(days=7), miss=timedelta(minutes=5)),
    "musicbrainz": Ttl(hit=timedelta(days=30), miss=timedelta(minutes=5)),
}

# The waits after the 1st, 2nd, 3rd, 4th and every later miss in a row: a service that did not know a
# key five minutes ago may have caught up (a new release), one that has not known it for a day
# seldom will by the next run.
MISS_BACKOFF = (timedelta(minutes=5), timedelta(hours=1), timedelta(days=1), timedelta(weeks=1))

# After this many lookups in a row fail, the service is taken to be down: the remaining keys are not
# asked (they stay pending, or become errors after permanent failures, and are asked next run), so an
# outage costs seconds, not hours.
GIVE_UP_AFTER_ERRORS = 5


def miss_wait(misses: int, ttl: Ttl) -> timedelta:
    """How long the `misses`-th miss in a row (1: the first) is trusted: the TTL's miss wait first,
    then the longer steps of MISS_BACKOFF (never shorter than the first), the last one repeating."""
    if misses <= 1:
        return ttl.miss
    return max(ttl.miss, MISS_BACKOFF[min(misses, len(MISS_BACKOFF)) - 1])


def expires_at(status: str, fetched_at: datetime, ttl: Ttl, misses: int = 1) -> datetime:
    """When a row fetched at `fetched_at` must be asked again (a miss: the `misses`-th in a row);
    an error is due at once."""
    if status == HIT:
        return fetched_at + ttl.hit
    if status == MISS:
        return fetched_at + miss_wait(misses, ttl)
    return fetched_at


def misses_in_row(status: str, misses_before: int) -> int:
    """A row's misses in a row after an answer: a hit starts again from 0, a miss adds one, an error
    (no answer) keeps the count."""
    if status == HIT:
        return 0
    return misses_before + 1 if status == MISS else misses_before


def is_due(status: str | None, expires: datetime | None, now: datetime) -> bool:
    """Whether a cached row (or no row: status None) must be fetched at `now`."""
    return status is None or status == ERROR or expires is None or expires <= now


def keys_to_fetch(wanted: Iterable[Hashable], cached: dict[Hashable, tuple[str, datetime]], now: datetime) -> list:
    """The wanted keys with no row, an expired row or an error row: in first-seen order, once each."""
    due = []
    for key in dict.fromkeys(wanted):
        status, expires = cached.get(key, (None, None))
        if is_due(status, expires, now):
            due.append(key)
    return due


@dataclass
class Fetched:
    key: Hashable
    status: str
    values: dict[str, Any]
    fetched_at: datetime
    expires_at: datetime
    error: str | None = None
    misses: int = 0  # misses in a row, this answer included


def fetch_all(
    keys: list,
    lookup: Callable[[Hashable], dict[str, Any] | None],
    now: datetime,
    ttl: Ttl,
    is_error: Callable[[Exception], bool],
    give_up_after: int = GIVE_UP_AFTER_ERRORS,
    is_transient: Callable[[Exception], bool] = lambda _: False,
    misses_before: dict[Hashable, int] | None = None,
) -> list[Fetched]:
    """Look every key up: a dict is a hit, None a miss, an `is_transient` exception leaves the key
    pending, another `is_error` exception is an error. After `give_up_after` failures in a row the
    remaining keys are not asked: pending when the last failure was transient, else errors.
    `misses_before` holds each key's misses in a row so far (none: 0); a miss's expiry backs off by it."""
    results, errors_in_row, transient = [], 0, False
    before = misses_before or {}
    for key in keys:
        if errors_in_row >= give_up_after:
            status = PENDING if transient else ERROR
            results.append(Fetched(key, status, {}, now, now, "skipped: the service kept failing", before.get(key, 0)))
            continue
        try:
            values = lookup(key)
        except Exception as error:
            if not is_error(error):
                raise
            errors_in_row += 1
            transient = is_transient(error)
            results.append(Fetched(key, PENDING if transient else ERROR, {}, now, now, str(error), before.get(key, 0)))
            continue
        errors_in_row = 0
        status = HIT if values is not None else MISS
        misses = misses_in_row(status, before.get(key, 0))
        results.append(Fetched(key, status, values or {}, now, expires_at(status, now, ttl, misses), misses=misses))
    return results


def merge(cached: dict[Hashable, dict], fetched: list[Fetched], source: str) -> dict[Hashable, dict]:
    """The cache after a run: each fetched row replaces the cached one, except that an error keeps an
    earlier hit's values (marked due, so it is asked again next run) rather than losing them, and a
    pending key changes nothing (no row is written for it)."""
    merged = dict(cached)
    for f in fetched:
        if f.status == PENDING:
            continue
        previous = cached.get(f.key)
        if f.status == ERROR and previous is not None and previous.get("status") == HIT:
            merged[f.key] = {**previous, "expires_at": f.fetched_at}
            continue
        merged[f.key] = {**f.values, "status": f.status, "source": source, "fetched_at": f.fetched_at,
                         "expires_at": f.expires_at, "misses": f.misses}
    return merged


def coverage(rows: Iterable[dict]) -> dict[str, Any]:
    """Hit / miss / error counts and shares over `rows`."""
    counts = {HIT: 0, MISS: 0, ERROR: 0}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    total = sum(counts.values())
    shares = {f"{status}_share": round(n / total, 4) if total else 0.0 for status, n in counts.items()}
    return {**counts, "total": total, **shares}
