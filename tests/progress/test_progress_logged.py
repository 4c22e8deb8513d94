"""Real materializations log their progress: the Spotify and enrichment assets against the sandbox, the
lines read back from the Dagster instance's event log. The pace is set to every step, so the test waits for nothing."""

from __future__ import annotations

import dagster as dg
import pytest

import assets.progress
from assets.enrichment import ENRICH_ASSETS
from assets.progress import parse
from resources.warehouse import Warehouse
from sandbox import start_sandbox
from tests.enrich.sandbox_library import (
    DISTINCT_ARTISTS, catalog_rows, enrich_resources, library, run_config, sandbox_now,
)
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
    items = [parse(line) for line in logged_lines(ingest, result) if line.startswith("playlist items of alice: ")]
    pages = items[-1].total
    assert pages > 1 and [(r.done, r.total) for r in items] == [(n, pages) for n in range(1, pages + 1)]


def test_each_enrichment_source_logs_its_lookups_done_of_those_due(tmp_path, monkeypatch):
    monkeypatch.setattr(assets.progress, "EVERY_S", 0.0)
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    warehouse.replace_partition("raw.tracks", "alice", catalog_rows(["t1", "t2", "t3", "t4", "t5", "t6", "t7"]))
    instance = dg.DagsterInstance.ephemeral()
    with start_sandbox(library()) as sandbox:
        result = dg.materialize(ENRICH_ASSETS, resources=enrich_resources(sandbox, warehouse), instance=instance,
                                run_config=run_config(sandbox_now(sandbox)))
    assert result.success
    lines = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.user_message]
    lastfm = [parse(line) for line in lines if line.startswith("enrichment lastfm_artists: ")]
    assert [(r.done, r.total, r.unit) for r in lastfm] == [(n, DISTINCT_ARTISTS, "lookups")
                                                           for n in range(1, DISTINCT_ARTISTS + 1)]
    assert {line.split(":")[0] for line in lines if parse(line)} == {
        "enrichment deezer_tracks", "enrichment lastfm_tracks", "enrichment lastfm_artists",
        "enrichment musicbrainz_recordings"}
