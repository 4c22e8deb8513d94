"""The terminal's live bars: a real in-process Dagster job whose asset logs progress, its console on a
terminal (bars on it, work under way kept off the scrolling log) or not (every line printed)."""

import io
import logging
import re

import dagster as dg
from rich.console import Console
from rich.progress import Progress as RichProgress

from assets.progress import Progress, line
from pipelines.terminal_progress import Bars, job_console


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def counting_job_defs(console: dg.LoggerDefinition) -> dg.Definitions:
    @dg.asset
    def counted(context: dg.AssetExecutionContext) -> None:
        progress = Progress("lookups of test", 3, "lookups", context.log.info, every=0)
        for _ in range(3):
            progress.advance()

    return dg.Definitions(assets=[counted], jobs=[dg.define_asset_job("counting")], loggers={"console": console})


def run_counting(stream) -> None:
    with job_console(stream) as console:
        result = counting_job_defs(console).resolve_job_def("counting").execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
    assert result.success


def test_on_a_terminal_work_under_way_is_a_bar_and_only_its_end_scrolls_by(capsys):
    terminal = Terminal()
    run_counting(terminal)
    # while the bars show, rich prints (and wraps) the log above them
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue()).replace("\n", "")
    assert "lookups of test: 3/3 lookups, done in" in shown
    assert "lookups of test: 1/3" not in shown and "lookups of test: 2/3" not in shown
    assert "2/3 lookups" in shown  # the bar
    assert capsys.readouterr().err == ""


def test_elsewhere_every_progress_line_prints(capsys):
    plain = io.StringIO()
    run_counting(plain)
    printed = capsys.readouterr().err
    assert all(f"lookups of test: {n}/3 lookups" in printed for n in (1, 2, 3))
    assert plain.getvalue() == ""


def record(message: str) -> logging.LogRecord:
    return logging.makeLogRecord({"msg": f"ingest - 1a2b - spotify__liked_songs - {message}", "levelno": logging.INFO})


def test_a_bar_per_piece_of_work_follows_its_lines_and_goes_when_it_is_done():
    progress = RichProgress(console=Console(file=io.StringIO(), force_terminal=True))
    bars = Bars(progress)
    bars.handle(record(line("liked songs of alice", 2, 10, "pages", 4.0)))
    bars.handle(record(line("enrichment deezer_tracks", 5, 50, "lookups", 4.0)))
    bars.handle(record(line("liked songs of alice", 6, 12, "pages", 8.0)))
    bars.handle(record("liked songs of alice: 12 liked, 0 removed"))
    assert [(t.description, t.completed, t.total) for t in progress.tasks] == \
        [("liked songs of alice", 6, 12), ("enrichment deezer_tracks", 5, 50)]
    bars.handle(record(line("liked songs of alice", 12, 12, "pages", 9.0)))
    assert [t.description for t in progress.tasks] == ["enrichment deezer_tracks"]


def test_the_console_keeps_other_lines_and_the_end_of_work():
    assert Bars.off_screen(record("playlist items of alice: 2 playlists to finish; stopped: budget"))
    assert Bars.off_screen(record(line("liked songs of alice", 12, 12, "pages", 9.0)))
    assert not Bars.off_screen(record(line("liked songs of alice", 6, 12, "pages", 8.0)))
