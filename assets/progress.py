"""Progress of long work, pure: done / total, the pace so far and an estimated finish, told as one log
line at a steady pace (at most once every `EVERY_S` seconds, and when the work is done).

The line is the whole record: `parse` reads it back, so the terminal's live bars
(`pipelines/terminal_progress.py`) need nothing but the log. Work shorter than `EVERY_S` says only
that it is done.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

EVERY_S = 5.0  # between two lines of one piece of work: steady in the Dagster UI, not a flood

_LINE = re.compile(r"(?P<what>.+): (?P<done>\d+)/(?P<total>\d+) (?P<unit>\S+)(?: \(\d+%\), .+ left|, done in .+)")


@dataclass(frozen=True)
class Reading:
    """One moment of a piece of work, as its line tells it."""

    what: str
    done: int
    total: int
    unit: str


def parse(line: str) -> Reading | None:
    """The reading a progress line holds; None for any other line."""
    match = _LINE.fullmatch(line)
    if match is None:
        return None
    return Reading(match["what"], int(match["done"]), int(match["total"]), match["unit"])


def duration(seconds: float) -> str:
    """`45 s`, `2 min 05 s`, `1 h 03 min`: as precise as a person reading a log wants."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def line(what: str, done: int, total: int, unit: str, elapsed: float) -> str:
    """The progress line: done / total, the rate so far and the time left at that rate."""
    if done >= total:
        return f"{what}: {done}/{total} {unit}, done in {duration(elapsed)}"
    rate = done / elapsed if elapsed > 0 else 0.0
    left = f"about {duration((total - done) / rate)} left" if rate > 0 else "time left not known yet"
    return f"{what}: {done}/{total} {unit} ({100 * done // total}%), {rate:.1f} {unit}/s, {left}"


class Progress:
    """Counts the steps of one piece of work and tells `report` a line when `every` seconds have
    passed since the last one (on `clock`), and once when the work is done."""

    def __init__(self, what: str, total: int, unit: str, report: Callable[[str], None],
                 every: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.what, self.total, self.unit, self.report = what, total, unit, report
        self.every = EVERY_S if every is None else every
        self.clock = clock
        self.done = 0
        self.started = self.last = clock()

    def advance(self, steps: int = 1, total: int | None = None) -> None:
        """`steps` more done; `total`: the whole as now known, when reading the work changed it."""
        self.done += steps
        self.total = self.total if total is None else total
        now = self.clock()
        if self.done >= self.total or now - self.last >= self.every:
            self.last = now
            self.report(line(self.what, self.done, self.total, self.unit, now - self.started))

    def over(self, items: Collection[T]) -> Iterator[T]:
        """Each item of `items`, counted done when the next one is asked for (a `continue` counts too)."""
        for item in items:
            yield item
            self.advance()


def counted(items: Collection[T], what: str, unit: str, report: Callable[[str], None]) -> Iterator[T]:
    """Each item of `items`, its progress told to `report`: `for x in counted(xs, "push", "playlists", log)`."""
    return Progress(what, len(items), unit, report).over(items)
