"""The day's Spotify request budget of one developer account, read from the ledger: what is spent and
left, whether a cooldown runs and when work may resume, each user's fair share, and the stop that
ends a run cleanly when Spotify says "not now". Plain Python: no Dagster, no HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from resources.budget.ledger import Ledger, next_utc_midnight, utc_naive
from resources.spotify_errors import SpotifyBudgetSpent, SpotifyQuotaExceeded, SpotifyRateLimited

T = TypeVar("T")

# Errors that mean "not now": the run keeps what it has and resumes another day.
PAUSES = (SpotifyBudgetSpent, SpotifyQuotaExceeded, SpotifyRateLimited)


class OutOfBudget(Exception):
    """The run's allowance, mixtape's daily budget or Spotify's quota says: stop for now."""

    def __init__(self, why: str = "request allowance spent", resume_at: datetime | None = None):
        self.why, self.resume_at = why, resume_at
        super().__init__(why)


def pausable(call: Callable[[], T]) -> T:
    """Run one Spotify call; a spent budget, quota or long rate limit becomes OutOfBudget."""
    try:
        return call()
    except PAUSES as pause:
        raise OutOfBudget(str(pause), pause.resume_at) from None


@dataclass(frozen=True)
class BudgetState:
    """The developer account's Spotify request budget for today, and any quota/rate-limit cooldown."""

    budget: int | None  # requests per UTC day; None = unlimited
    spent: int
    resume_at: datetime | None = None  # naive UTC; set while a cooldown runs
    cooldown_kind: str | None = None  # "quota" or "rate_limit"
    day_ends_at: datetime | None = None  # naive UTC: when the budget refills

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.spent)

    @property
    def cooling_down(self) -> bool:
        return self.resume_at is not None

    def affords(self, requests: int) -> bool:
        """True when no cooldown runs and `requests` more fit in today's budget."""
        return not self.cooling_down and (self.remaining is None or self.remaining >= requests)

    @property
    def paused(self) -> bool:
        return not self.affords(1)

    def reason(self) -> str:
        """Why Spotify work waits, with the time it may resume (empty when it need not wait)."""
        if self.cooling_down:
            what = "daily quota exceeded (QUOTA_EXCEEDED)" if self.cooldown_kind == "quota" else "rate limited"
            return f"Spotify {what}: no Spotify work until {self.resume_at:%Y-%m-%d %H:%M:%S} UTC"
        if self.paused:
            when = f"{self.day_ends_at:%Y-%m-%d %H:%M:%S} UTC" if self.day_ends_at else "the next UTC day"
            return f"request budget spent ({self.spent} of {self.budget} today): Spotify work resumes at {when}"
        return ""

    def summary(self) -> str:
        left = "unlimited" if self.remaining is None else f"{self.remaining} of {self.budget}"
        return self.reason() or f"{left} Spotify requests left today"


def affordable(users: list[str], state: BudgetState, cost_per_user: int) -> list[str]:
    """The first users whose work fits in what is left of today's budget."""
    if state.cooling_down:
        return []
    if state.remaining is None:
        return users
    return users[: state.remaining // cost_per_user]


def fair_shares(budget: int, needs: dict[str, int | None]) -> dict[str, int]:
    """Split a day's budget so every user progresses: users needing less get what they need, the rest
    is shared equally (water-filling). `None` means "as much as possible". Needs are estimates, so
    what is left once every need is met is shared out too: no request of the day goes unused."""
    shares = {user: 0 for user in needs}
    open_users = sorted(needs)
    left = max(budget, 0)
    while open_users and left > 0:
        equal = left // len(open_users)
        small = [u for u in open_users if needs[u] is not None and needs[u] - shares[u] <= equal]
        if small:
            for user in small:
                left -= needs[user] - shares[user]
                shares[user] = needs[user]
                open_users.remove(user)
            continue
        if equal == 0:
            for user in open_users[:left]:  # the last few requests go one each, by name
                shares[user] += 1
            break
        for user in open_users:
            shares[user] += equal
        left -= equal * len(open_users)
    if left > 0 and not open_users:
        for i, user in enumerate(sorted(needs)):
            shares[user] += left // len(needs) + (1 if i < left % len(needs) else 0)
    return shares


@dataclass(frozen=True)
class RequestBudget:
    """One developer account's daily Spotify budget, on the ledger every process shares, by a clock."""

    ledger: Ledger
    client_id: str
    per_day: int | None  # None = unlimited
    time: Callable[[], float]  # epoch seconds, from the clock resource

    def state(self) -> BudgetState:
        """The budget as it stands now."""
        now = self.time()
        cooldown = self.ledger.cooldown(self.client_id, now)
        return BudgetState(
            budget=self.per_day,
            spent=self.ledger.spent_today(self.client_id, now),
            resume_at=utc_naive(cooldown.resume_at) if cooldown else None,
            cooldown_kind=cooldown.kind if cooldown else None,
            day_ends_at=utc_naive(next_utc_midnight(now)),
        )

    def spent_today(self, user: str | None = None) -> int:
        """Quota-counted requests of this account today, by every process (optionally one user's)."""
        return self.ledger.spent_today(self.client_id, self.time(), user)

    def remaining_today(self) -> int | None:
        """Requests left in today's budget (None = unlimited)."""
        return self.ledger.remaining_today(self.client_id, self.time(), self.per_day)

    def allowance(self, user: str, users: Iterable[str], still_needed: Callable[[str], int | None]) -> int | None:
        """Requests `user` may still spend today: a fair share of the day's budget among `users` (None:
        unlimited). `still_needed(u)` is what u still needs to be up to date (None: as much as possible)."""
        remaining = self.remaining_today()
        if remaining is None:
            return None
        everyone = sorted(set(users) | {user})
        spent = {u: self.spent_today(u) for u in everyone}
        needs = {u: None if (need := still_needed(u)) is None else spent[u] + need for u in everyone}
        shares = fair_shares(self.per_day, needs)
        return max(0, min(remaining, shares[user] - spent[user]))

    def cool_down(self, resume_at: float, kind: str) -> None:
        """No quota-counted request for this account until `resume_at` ("quota" or "rate_limit")."""
        self.ledger.set_cooldown(self.client_id, resume_at, kind, self.time())
