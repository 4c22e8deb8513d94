"""`mixtape run --stage ingest` and `mixtape sql` as a user types them, against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

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

        monkeypatch.setenv("MIXTAPE_RULES", str(Path(__file__).resolve().parents[2] / "playlists.yaml"))
        assert main(["run", "--user", "alice", "--stage", "rules"]) == 0
        before = ingest.sandbox.sandbox.stats()["requests"]
        assert main(["run", "--user", "alice", "--stage", "push", "--dry-run"]) == 0
        assert "push for alice: ok" in capsys.readouterr().out
        writes = {route: n - before.get(route, 0) for route, n in ingest.sandbox.sandbox.stats()["requests"].items()
                  if not route.startswith("GET") and n > before.get(route, 0)}
        assert writes == {}  # a dry run writes nothing to Spotify
        assert main(["sql", "-c", "select count(*) as n from sync_events where dry_run", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["n"] > 0
    finally:
        ingest.sandbox.stop()
