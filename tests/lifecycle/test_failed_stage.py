"""`mixtape run --stage all` when one user's ingest fails: that user's later stages are skipped with the
cause, the other user's run to the end, the table says so per user and stage, and the exit status is 1.

In process (`pipelines.cli.main`), a real persistent instance, the sandbox over HTTP; bob's stored
token is corrupt, which fails his ingest with an authentication error before any request.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.cli import main
from pipelines.commands.login import login
from resources.settings import Settings
from resources.warehouse import Warehouse
from tests.ingest.conftest import small_library, start

RULES = """\
defaults:
  - name: Every like
    source: liked
    sort: [{field: title}]
"""


def test_a_failed_ingest_skips_that_users_later_stages_and_fails_the_command(tmp_path, monkeypatch, capsys):
    ingest = start(small_library(), tmp_path, monkeypatch, Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")))
    try:
        login(Settings.from_env(), "bob", open_browser=False, timeout_s=5, say=lambda *_: None)
        token = next(Path(ingest.data_dir).rglob("bob.json"))
        token.write_text("{not json")
        (tmp_path / "rules.yaml").write_text(RULES)
        monkeypatch.setenv("MIXTAPE_RULES", str(tmp_path / "rules.yaml"))
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))

        assert main(["run", "--stage", "all"]) == 1

        out = capsys.readouterr().out
        assert out.count("ingest for bob: FAILED") == 1 and "ingest for bob: skipped (ingest FAILED earlier)" in out
        assert "bob ingest: FAILED — liked_songs: " in out and "mixtape login" in out  # the cause, not Dagster's wrapper
        for stage, cause in (("rules", "ingest FAILED"), ("push", "rules skipped"), ("marts", "ingest FAILED")):
            assert f"{stage} for bob: skipped ({cause})" in out
            assert f"{stage} for alice: ok" in out
        table = out[out.index("\nuser ") + 1:].splitlines()
        rows = {line.split()[0]: line.split()[1:] for line in table[1:4]}
        assert rows["(shared)"] == ["–", "ok", "ok", "–", "ok"]  # enrich, name keys, marts: not bob's to stop
        assert rows["alice"] == ["ok", "–", "ok", "ok", "ok"]
        assert rows["bob"] == ["FAILED", "–", "skipped", "skipped", "skipped"]
        assert ingest.sql("select distinct user_id from ops.sync_events") == [("alice",)]  # nothing pushed for bob
        with dg.DagsterInstance.get() as instance:
            bob_runs = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == "bob"]
            assert [r.job_name for r in bob_runs] == ["ingest"]  # nothing else was even launched for bob
    finally:
        ingest.sandbox.stop()
