"""Live progress bars for the jobs `mixtape run` and `mixtape demo` run in process.

Dagster's console logger prints each log line to stderr. When stderr is a terminal, the progress lines
of `assets/progress.py` drive one rich bar per piece of work instead of scrolling by, and the line that
says a piece of work is done still prints, so what was done stays on screen. Elsewhere (a pipe, a
file, CI) every line prints as it is.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from assets.progress import Reading, parse


def reading_of(record: logging.LogRecord) -> Reading | None:
    """The progress a console record tells: Dagster's message ends with the line the asset logged."""
    return parse(record.getMessage().rsplit(" - ", 1)[-1])


class Bars(logging.Handler):
    """Turns progress records into bars: one per piece of work, gone when the work is done."""

    def __init__(self, progress: Progress):
        super().__init__()
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def emit(self, record: logging.LogRecord) -> None:
        reading = reading_of(record)
        if reading is None:
            return
        if reading.done >= reading.total:
            if reading.what in self.tasks:
                self.progress.remove_task(self.tasks.pop(reading.what))
            return
        if reading.what in self.tasks:
            self.progress.update(self.tasks[reading.what], completed=reading.done, total=reading.total)
        else:
            self.tasks[reading.what] = self.progress.add_task(reading.what, total=reading.total,
                                                              completed=reading.done, unit=reading.unit)
        self.progress.refresh()

    @staticmethod
    def off_screen(record: logging.LogRecord) -> bool:
        """For the console's own handler: a line of work under way is in its bar, not printed."""
        reading = reading_of(record)
        return reading is None or reading.done >= reading.total


def console_with_bars(bars: Bars) -> dg.LoggerDefinition:
    """Dagster's colored console logger, whose progress lines feed `bars`."""

    @dg.logger(config_schema=dg.colored_console_logger.config_schema,
               description="The colored console, with live bars for work in progress.")
    def console(init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = dg.colored_console_logger.logger_fn(init_context)
        for handler in logger.handlers:
            handler.addFilter(bars.off_screen)
        logger.addHandler(bars)
        return logger

    return console


@contextmanager
def job_console(stream: TextIO | None = None) -> Iterator[dg.LoggerDefinition]:
    """The console logger for one in-process job: with live bars on `stream` (stderr) while the job
    runs when it is a terminal, else Dagster's own."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield dg.colored_console_logger
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as progress:
        yield console_with_bars(Bars(progress))
