"""When to read a user's recently-played again (pure).

Spotify keeps only a user's last 50 plays, so a poll must come before 50 more plays pile up, and no
sooner than needed: each poll is one request of the day's shared budget. Listening may start right after
a poll, so the interval follows the user's fastest listening lately, not the last poll's: the most plays
a second any of their polls of the past `PACE_DAYS` returned. At that pace, the next poll is due when
about `TARGET` (half of what Spotify keeps, for a burst faster still) would have piled up. A user who
played nothing lately waits `MAX_INTERVAL` (90 min hold at most ~37 songs of 2.5 min); no poll comes
sooner than `MIN_INTERVAL` or than the budget's share for polling allows.

The promise: at most ceil(86400 / shortest interval) polls per user a day, one request each, and
ceil(86400 / MAX_INTERVAL) = 16 a day for a user who listens to nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

KEPT = 50  # plays Spotify's recently-played remembers
TARGET = 25  # plays to let pile up between polls: half of KEPT, for a burst's sake
MIN_INTERVAL_S = 10 * 60.0
MAX_INTERVAL_S = 90 * 60.0
# Polling may use at most this share of the day's Spotify budget; the rest is for syncs and pushes.
POLL_SHARE = 0.2
PACE_DAYS = 7  # how long a burst of fast listening keeps a user's polls frequent


@dataclass(frozen=True)
class Poll:
    polled_at: float  # epoch seconds
    plays: int  # new plays it returned
    since_previous_s: float | None  # None: the user's first poll


@dataclass(frozen=True)
class Bounds:
    shortest_s: float
    longest_s: float

    def polls_per_day(self) -> int:
        """The most polls a day this schedule makes for one user."""
        return math.ceil(86400 / self.shortest_s)


def bounds(budget_per_day: int | None, users: int) -> Bounds:
    """The intervals allowed: polling all `users` at the shortest uses at most POLL_SHARE of the budget.
    A budget too small for that stretches the longest interval too (losing plays beats spending it all)."""
    shortest = MIN_INTERVAL_S
    if budget_per_day is not None and users:
        shortest = max(shortest, 86400 * users / max(budget_per_day * POLL_SHARE, 1e-9))
    return Bounds(shortest, max(MAX_INTERVAL_S, shortest))


def fastest_rate(polls: Iterable[Poll]) -> float | None:
    """Plays a second of the fastest of `polls` in the `PACE_DAYS` up to the latest; None if none returned
    plays (a first poll's plays, piled up for as long as anyone knows, tell no pace)."""
    polls = list(polls)
    if not polls:
        return None
    since = max(p.polled_at for p in polls) - PACE_DAYS * 86400
    return max((p.plays / p.since_previous_s for p in polls
                if p.polled_at > since and p.plays > 0 and p.since_previous_s), default=None)


def next_interval_s(rate: float | None, limits: Bounds) -> float:
    """Seconds from a poll to the next for a user whose fastest listening lately came at `rate` plays a
    second (None: no plays lately, the longest wait)."""
    if not rate:
        return limits.longest_s
    return min(limits.longest_s, max(limits.shortest_s, TARGET / rate))
