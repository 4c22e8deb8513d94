"""A real materialization logs its progress: the Spotify assets against the sandbox, the lines read back
from the Dagster instance's event log. The pace is set to every step, so the test waits for nothing."""

from __future__ import annotations

import pytest

import assets.progress
from assets.progress import parse
from resources.warehouse import Warehouse
from tests.ingest.conftest import small_library, start


@pytest.fixture
def ingest(tmp_path, monkeypatch):
    running = start(small_library(liked=260), tmp_path, monkeypatch,
                    Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")))
    yield running
    running.sandbox.stop()


def logged_lines(ingest, result) -> list[str]:
    return [entry.user_message for entry in ingest.instance.all_logs(result.run_id) if entry.user_message]


def test_a_cold_read_logs_pages_done_of_the_total_with_the_time_left(ingest, monkeypatch):
    monkeypatch.setattr(assets.progress, "EVERY_S", 0.0)
    result = ingest.run()
    assert result.success
    liked = [line for line in logged_lines(ingest, result) if line.startswith("liked songs of alice: ")]
    readings = [parse(line) for line in liked if parse(line)]
    assert [(r.done, r.total, r.unit) for r in readings] == [(n, 6, "pages") for n in range(1, 7)]  # 260 liked: 6 pages
    assert all(" left" in line for line in liked[:5])
    assert "6/6 pages, done in" in liked[5]
