"""A movable test clock: the project's `Clock` resource, whose time the test moves (together with the
sandbox's clock), passed to resources like any clock (`SpotifyResource(clock=...)`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import requests

from resources.clock import Clock


@dataclass
class _Moved:
    offset: float = 0.0
    slept: list[float] = field(default_factory=list)


# Dagster rebuilds resources from their config for each run, so what the test moves lives here, under
# the clock's `key`: every copy of one clock tells the same time.
_MOVED: dict[str, _Moved] = {}


class MovableClock(Clock):
    """Wall time plus an offset the test moves. `sleep` moves the clock instead of waiting, unless it
    `waits`; moving it moves the sandbox's clock at `sandbox_url` too."""

    key: str
    sandbox_url: str | None = None
    waits: bool = False

    def moved(self) -> _Moved:
        return _MOVED.setdefault(self.key, _Moved())

    def time(self) -> float:
        return time.time() + self.moved().offset + self.offset_s

    def __call__(self) -> float:
        return self.time()

    @property
    def offset(self) -> float:
        return self.moved().offset

    @property
    def slept(self) -> list[float]:
        return self.moved().slept

    def advance(self, seconds: float) -> None:
        self.moved().offset += seconds
        if self.sandbox_url:
            requests.post(f"{self.sandbox_url}/_sandbox/clock", json={"advance_s": seconds}, timeout=5).raise_for_status()

    def to_midday(self) -> None:
        """Move on to the next 12:00 UTC, so a test that counts a day's requests never straddles midnight."""
        self.advance((43200 - self.time() % 86400) % 86400)

    def sleep(self, seconds: float) -> None:
        self.moved().slept.append(seconds)
        if self.waits:
            super().sleep(seconds)
        else:
            self.advance(seconds)


def movable_clock(sandbox_url: str | None = None, waits: bool = False) -> MovableClock:
    """A new clock at the current time (sharing no offset with any other)."""
    return MovableClock(key=uuid.uuid4().hex, sandbox_url=sandbox_url, waits=waits)
