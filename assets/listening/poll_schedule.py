"""When to read a user's recently-played again (pure).

Spotify keeps only a user's last 50 plays, so a poll must come before 50 more plays pile up, and no
sooner than needed: each poll is one request of the day's shared budget. The interval adapts to the
plays the last poll returned: at the rate they came in, the next poll is due when about `TARGET`
(half of what Spotify keeps) have piled up. It never waits longer than `MAX_INTERVAL` (so listening
that starts right after a quiet poll cannot fill 50 plays first: 90 min hold at most ~37 songs of
2.5 min), nor polls sooner than `MIN_INTERVAL` or than the budget's share for polling allows.

The promise: at most ceil(86400 / shortest interval) polls per user a day, one request each, and
ceil(86400 / MAX_INTERVAL) = 16 a day for a user who listens to nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KEPT = 50  # plays Spotify's recently-played remembers
TARGET = 25  # plays to let pile up between polls: half of KEPT, for a burst's sake
MIN_INTERVAL_S = 10 * 60.0
MAX_INTERVAL_S = 90 * 60.0
# Polling may use at most this share of the day's Spotify budget; the rest is for syncs and pushes.
POLL_SHARE = 0.2


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


def next_interval_s(plays: int, since_previous_s: float | None, limits: Bounds) -> float:
    """Seconds from a poll that returned `plays` new plays, `since_previous_s` after the poll before it,
    to the next. The first poll of a user (no previous) or a quiet one waits the longest."""
    if plays <= 0 or not since_previous_s:
        return limits.longest_s
    rate = plays / since_previous_s
    return min(limits.longest_s, max(limits.shortest_s, TARGET / rate))
