"""`mixtape run --stage ingest` and `mixtape sql` as a user types them, against the sandbox."""

from __future__ import annotations

import json

import dagster as dg

from pipelines.cli import main
from resources.warehouse import Warehouse
from tests.ingest.conftest import expected_cold_requests, small_library, start


def test_run_ingest_then_sql_reads_the_result(tmp_path, monkeypatch, capsys):
    home = tmp_path / "dagster_home"
    home.mkdir()
    ingest = start(small_library(), tmp_path, monkeypatch, Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")))
    try:
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        library = ingest.library()
        assert main(["run", "--user", "alice", "--stage", "ingest", "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "ingest for alice: would materialize" in out and "raw/liked_songs" in out and ingest.spent() == 0

        assert main(["run", "--user", "alice", "--stage", "ingest"]) == 0
        assert "ingest for alice: ok" in capsys.readouterr().out
        assert ingest.spent() == expected_cold_requests(library, "alice")
        with dg.DagsterInstance.get() as instance:  # the run is in the persistent instance, as from the UI
            assert instance.get_runs_count() == 1 and "alice" in instance.get_dynamic_partitions("spotify_users")

        assert main(["sql", "-c", "select count(*) as n, min(liked_at) as first from liked_songs", "--format", "json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows[0]["n"] == len(library["liked"]["alice"]) and rows[0]["first"].startswith("20")
        assert main(["sql", "-c", "select playlist_id, readable from playlists order by 1 limit 2", "--format", "csv"]) == 0
        assert capsys.readouterr().out.splitlines()[0] == "playlist_id,readable"
        assert main(["sql", "-c", "select nonsense from nowhere"]) == 1
        assert "nowhere" in capsys.readouterr().err
    finally:
        ingest.sandbox.stop()
