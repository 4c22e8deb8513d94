"""`mixtape sql`: one query or an interactive shell, read-only, on the snapshot; a shell held open
in a terminal never blocks a run."""

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

import resources.warehouse as warehouse_module
from pipelines.cli import main
from pipelines.commands.sql import shell
from resources.snapshot import refresh_snapshot
from resources.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    """A DuckDB warehouse with one liked song, a snapshot of it, and the environment pointing at it."""
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MIXTAPE_STORAGE", "duckdb")
    monkeypatch.chdir(tmp_path)
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    like(warehouse, "t1")
    refresh_snapshot(warehouse)
    return warehouse


def like(warehouse: Warehouse, *track_ids: str) -> None:
    rows = pl.DataFrame({"track_id": list(track_ids), "liked_at": [datetime(2025, 1, 1)] * len(track_ids)})
    warehouse.replace_partition("raw.liked_songs", "alice", rows)


def test_one_query_reads_the_snapshot_not_the_live_file(warehouse, capsys):
    like(warehouse, "t1", "t2")  # written after the snapshot
    assert main(["sql", "-c", "select count(*) as n from liked_songs", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 1}]
    refresh_snapshot(warehouse)
    assert main(["sql", "-c", "select count(*) as n from liked_songs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "2"]


def test_the_shell_runs_statements_over_several_lines_and_survives_errors(warehouse):
    typed = "\n".join([
        ".format csv",
        "select track_id",
        "from liked_songs;",
        "select * from no_such_table;",
        "delete from raw.liked_songs;",
        ".tables",
        ".quit",
    ]) + "\n"
    out = io.StringIO()
    assert shell("table", stdin=io.StringIO(typed), stdout=out) == 0
    text = out.getvalue()
    assert "track_id\nt1\n" in text
    errors = [line for line in text.splitlines() if "Error: " in line]
    assert "no_such_table" in errors[0] and "read-only" in errors[1]
    assert "liked_songs,VIEW" in text
    assert Warehouse(storage="duckdb", data_dir=warehouse.data_dir).read("raw.liked_songs").height == 1


def test_the_shell_refreshes_onto_a_newer_snapshot(warehouse):
    class Typing(io.StringIO):
        """Typed lines; the second query is typed after a run and a snapshot refresh."""

        def __init__(self):
            super().__init__()
            self.lines = ["select count(*) as n from liked_songs;\n", ".refresh\n",
                          "select count(*) as n from liked_songs;\n", ".quit\n"]

        def readline(self, *_):
            if self.lines[0].startswith(".refresh"):
                like(warehouse, "t1", "t2", "t3")
                refresh_snapshot(warehouse)
            return self.lines.pop(0)

    out = io.StringIO()
    shell("csv", stdin=Typing(), stdout=out)
    counts = [line for line in out.getvalue().splitlines() if line.strip().isdigit()]
    assert counts == ["1", "3"]


# -- a real terminal session in another process ----------------------------------------------------

@dg.asset(key_prefix=["raw"])
def liked_songs(warehouse: Warehouse) -> dg.MaterializeResult:
    """A writer, as ingestion is: replaces alice's liked songs."""
    rows = pl.DataFrame({"track_id": ["t1", "t2", "t3", "t4"], "liked_at": [datetime(2025, 2, 1)] * 4})
    return dg.MaterializeResult(metadata={"dagster/row_count": warehouse.replace_partition("raw.liked_songs", "alice", rows)})


class Terminal:
    """`mixtape sql` on a pseudo-terminal, as a person would run it."""

    def __init__(self, data_dir: str):
        self.fd, child = pty.openpty()
        env = {**os.environ, "MIXTAPE_DATA_DIR": data_dir, "MIXTAPE_STORAGE": "duckdb", "TERM": "dumb"}
        self.process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "sql", "--format", "csv"],
                                        stdin=child, stdout=child, stderr=child, cwd=data_dir, env=env,
                                        close_fds=True)
        os.close(child)
        self.seen = ""

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0 and self.process.poll() is None, f"no {text!r} in:\n{self.seen}"
            if select.select([self.fd], [], [], remaining)[0]:
                self.seen += os.read(self.fd, 4096).decode(errors="replace")
        found, self.seen = self.seen.split(text, 1)
        return found

    def close(self) -> None:
        if self.process.poll() is None:
            self.type(".quit")
            self.process.wait(timeout=30)
        os.close(self.fd)


def test_a_run_succeeds_while_a_terminal_shell_is_open(warehouse, monkeypatch):
    monkeypatch.setattr(warehouse_module, "_LOCK_RETRY_SECONDS", 1)  # a blocked writer would fail fast
    terminal = Terminal(warehouse.data_dir)
    try:
        terminal.wait_for("mixtape> ")
        terminal.type("select count(*) as n from liked_songs;")
        assert "\nn\r\n1\r\n" in terminal.wait_for("mixtape> ")
        # the shell's session is open: materialize a writer now
        assert dg.materialize([liked_songs], resources={"warehouse": warehouse}).success
        refresh_snapshot(warehouse)
        terminal.type(".refresh")
        terminal.wait_for("mixtape> ")
        terminal.type("select count(*) as n from liked_songs;")
        assert "\nn\r\n4\r\n" in terminal.wait_for("mixtape> ")
    finally:
        terminal.close()
    assert terminal.process.returncode == 0


def test_refresh_takes_a_new_snapshot_first(warehouse, capsys):
    like(warehouse, "t1", "t2")
    assert main(["sql", "--refresh", "-c", "select count(*) as n from liked_songs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "2"]


def test_the_shell_says_when_its_snapshot_is_older_than_the_warehouse(warehouse):
    out = io.StringIO()
    shell("csv", stdin=io.StringIO(".quit\n"), stdout=out)
    assert "changed after this snapshot" not in out.getvalue()
    like(warehouse, "t1", "t2")
    out = io.StringIO()
    shell("csv", stdin=io.StringIO(".quit\n"), stdout=out)
    assert "changed after this snapshot" in out.getvalue()


def test_a_query_on_the_snapshot_loads_no_dagster(warehouse):
    """`mixtape sql -c` on the DuckDB snapshot answers without importing Dagster (it took seconds), nor
    pydantic or polars (a third of a second more)."""
    code = ("import json, sys; from pipelines.cli import main; "
            "assert main(['sql', '-c', 'select count(*) as n from liked_songs', '--format', 'json']) == 0; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'pydantic', 'polars'})))")
    result = subprocess.run([sys.executable, "-c", code], cwd=warehouse.data_dir, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert result.returncode == 0, result.stderr[-2000:]
    answer, loaded = result.stdout.splitlines()
    assert json.loads(answer) == [{"n": 1}]
    assert json.loads(loaded) == []


def test_csv_prints_list_columns(warehouse, capsys):
    assert main(["sql", "-c", "select list(track_id) as tracks, {'n': 1} as s from liked_songs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["tracks,s", '"[""t1""]","{""n"": 1}"']
