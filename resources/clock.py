"""The one clock mixtape goes by: the request ledger's UTC day, token expiry, cooldowns, sync stamps.

Real time unless configured otherwise. A resource that tells time takes the clock as a nested
resource (`SpotifyResource(clock=...)`); tests and simulated days pass a clock of their own the same
way, so nothing ever overwrites a private attribute to move time.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime

import dagster as dg
from pydantic import Field


class Clock(dg.ConfigurableResource):
    """Wall-clock time, optionally frozen at an instant or shifted by an offset."""

    frozen_at: str | None = Field(default=None, description="naive-UTC ISO time the clock stands still at; default: it runs")
    offset_s: float = Field(default=0.0, description="seconds added to the time (a simulated later day)")

    def time(self) -> float:
        """Now, in epoch seconds."""
        if self.frozen_at is not None:
            return datetime.fromisoformat(self.frozen_at).replace(tzinfo=UTC).timestamp() + self.offset_s
        return _time.time() + self.offset_s

    def now(self) -> datetime:
        """Now, as a naive UTC datetime (the project's convention)."""
        return datetime.fromtimestamp(self.time(), UTC).replace(tzinfo=None)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a clock that only simulates time moves itself instead)."""
        if seconds > 0:
            _time.sleep(seconds)


REAL_TIME = Clock()


def clock_or_real(clock: Clock | None) -> Clock:
    """The configured clock, or real time when none is."""
    return REAL_TIME if clock is None else clock
