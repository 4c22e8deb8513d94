"""DAGSTER_HOME's dagster.yaml is the user's: created from the project's defaults when missing, never
overwritten, and a file lacking the defaults mixtape relies on is named in one line."""

import dagster as dg
import pytest
import yaml

from pipelines.home import DEFAULTS, ensure_dagster_home, missing_defaults

POSTGRES = """\
# my production instance
storage:
  postgres:
    postgres_db:
      username: {env: PG_USER}
      password: {env: PG_PASSWORD}
      hostname: db.internal
      db_name: dagster
      port: 5432
run_launcher:
  module: dagster_aws.ecs
  class: EcsRunLauncher
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_missing_file_is_created_with_the_projects_defaults(home, capsys):
    assert ensure_dagster_home() == home
    assert (home / "dagster.yaml").read_bytes() == DEFAULTS.read_bytes()
    assert capsys.readouterr().err == ""
    with dg.instance_for_test(temp_dir=str(home)) as instance:  # the file is a valid instance config
        assert instance.get_settings("telemetry") == {"enabled": False}


def test_the_projects_defaults_lack_nothing_it_relies_on():
    assert missing_defaults(yaml.safe_load(DEFAULTS.read_text())) == []


def test_a_users_file_is_never_rewritten_and_what_it_lacks_is_named(home, capsys):
    home.mkdir()
    (home / "dagster.yaml").write_text(POSTGRES)
    before = (home / "dagster.yaml").read_bytes()
    ensure_dagster_home()
    ensure_dagster_home()
    assert (home / "dagster.yaml").read_bytes() == before
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]  # one line per call
    for setting in ("telemetry.enabled", "concurrency.pools.default_limit", "tag_concurrency_limits[spotify_user]",
                    "tag_concurrency_limits[dagster/partition]", "run_monitoring.enabled"):
        assert setting in lines[0]


def test_only_what_is_missing_is_named(home, capsys):
    home.mkdir()
    mine = POSTGRES + yaml.safe_dump({
        "telemetry": {"enabled": True},  # the user's own choice: not "missing"
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator",
                            "config": {"tag_concurrency_limits": [
                                {"key": "spotify_user", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]}},
    })
    (home / "dagster.yaml").write_text(mine)
    ensure_dagster_home()
    assert (home / "dagster.yaml").read_text() == mine
    line = capsys.readouterr().err
    assert "concurrency.pools.default_limit" in line and "tag_concurrency_limits[dagster/partition]" in line
    assert "telemetry" not in line and "[spotify_user]" not in line


def test_a_file_with_every_default_is_left_alone_without_a_word(home, capsys):
    home.mkdir()
    mine = POSTGRES + DEFAULTS.read_text()
    (home / "dagster.yaml").write_text(mine)
    ensure_dagster_home()
    assert (home / "dagster.yaml").read_text() == mine
    assert capsys.readouterr().err == ""
