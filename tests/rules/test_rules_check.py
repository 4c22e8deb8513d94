"""`mixtape rules check`: fields the access profile lacks and an empty rule file are errors (exit 1)."""

from __future__ import annotations

import pytest

from pipelines.cli import main
from resources.budget.ledger import Ledger
from resources.spotify import SANDBOX_CLIENT_ID

POPULAR = "defaults:\n  - name: Popular\n    filter: {field: popularity, op: gte, value: 50}\n"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(directory))
    monkeypatch.delenv("SPOTIFY_CLIENT_ID", raising=False)
    return directory


def _file(tmp_path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_popularity_is_an_error_in_development_mode_by_default(tmp_path, data_dir, capsys):
    path = _file(tmp_path, POPULAR)
    assert main(["rules", "check", "--file", path]) == 1
    out, err = capsys.readouterr()
    assert f"{path}:3: defaults[0].filter.field: field 'popularity' is not available" in err
    assert "access profile devmode: default" in out
    assert not data_dir.exists()  # looking for a cached profile creates nothing


def test_the_profile_comes_from_the_option_or_the_ledger(tmp_path, data_dir, capsys):
    path = _file(tmp_path, POPULAR)
    assert main(["rules", "check", "--file", path, "--profile", "extended"]) == 0
    assert "no errors" in capsys.readouterr().out
    Ledger.in_data_dir(data_dir).save_profile(SANDBOX_CLIENT_ID, "extended", 0)
    assert main(["rules", "check", "--file", path]) == 0
    assert "access profile extended: the app's profile cached in the request ledger" in capsys.readouterr().out
    assert main(["rules", "check", "--file", path, "--profile", "devmode"]) == 1


def test_popularity_in_a_sort_and_for_one_user_is_reported_too(tmp_path, data_dir, capsys):
    path = _file(tmp_path, "users:\n  bob:\n    - {name: By popularity, sort: [{field: popularity}]}\n")
    assert main(["rules", "check", "--file", path]) == 1
    assert "users.bob[0].sort[0].field: field 'popularity' is not available" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "defaults: []\n", "users: {}\n", "defaults:\nusers:\n  bob: []\n"])
def test_an_empty_rule_file_is_an_error(tmp_path, data_dir, capsys, text):
    path = _file(tmp_path, text)
    assert main(["rules", "check", "--file", path]) == 1
    assert f"{path}: <top>: the rule file defines no child playlist" in capsys.readouterr().err


def test_the_cap_on_child_playlists_is_an_option(tmp_path, data_dir, capsys):
    path = _file(tmp_path, "defaults:\n" + "".join(f"  - {{name: c{i}, source: liked}}\n" for i in range(4)))
    assert main(["rules", "check", "--file", path]) == 0
    assert main(["rules", "check", "--file", path, "--max-playlists", "3"]) == 1
    assert "defaults[3]" in capsys.readouterr().err
