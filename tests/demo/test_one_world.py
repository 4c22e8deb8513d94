"""Issue 15's acceptance, end to end: with no Spotify app configured, `mixtape demo`, a
materialization through Dagster's own command on the same instance (as the UI launches it), the demo
again, `mixtape run --stage all` and README's `dagster asset materialize … --partition demo` all stand on
one persistent demo sandbox (a detached server process under MIXTAPE_DATA_DIR), and that sandbox
ends with one playlist per child playlist. A small library keeps it within a couple of minutes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pipelines.cli import main
from pipelines.commands.demo_sandbox import running_sandbox
from sandbox.generator import generate_library
from tests.demo.conftest import PROJECT, WORLD_VARIABLES

CHILD_PLAYLISTS = {"Running 160-180", "Fresh likes", "Nineties", "Weekly shuffle", "Liked, not in Party road"}

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_world(clean_demo_world, tmp_path, monkeypatch):
    """A clean demo world on a small library of its own."""
    library = generate_library(seed=15, users=["demo"], liked=40, playlists=3, big_playlist=10)
    library.playlists[1].name = "Party road"
    (tmp_path / "library.json").write_text(library.model_dump_json())
    monkeypatch.setenv("MIXTAPE_DEMO_LIBRARY", str(tmp_path / "library.json"))
    return clean_demo_world


def dagster_materialize(*args: str) -> subprocess.CompletedProcess:
    """Dagster's own command, in a fresh process with the test's environment minus the sandbox URLs
    this process learned: it must find the demo world by itself."""
    env = {k: v for k, v in os.environ.items() if k not in WORLD_VARIABLES}
    dagster = Path(sys.executable).with_name("dagster")
    return subprocess.run([str(dagster), "asset", "materialize", *args, "-m", "pipelines.definitions"],
                          env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300)


def test_every_entry_point_shares_one_demo_sandbox(demo_world, capsys):
    assert main(["demo"]) == 0
    url = running_sandbox(demo_world)
    assert url is not None
    out = capsys.readouterr()
    assert "demo world: sandbox at " + url in out.err
    assert "Fresh likes:" in out.out  # every child playlist is listed, empty ones too

    ui = dagster_materialize("--select", "group:playlists", "--partition", "demo")  # as the UI launches it
    assert ui.returncode == 0, ui.stderr[-3000:]
    assert "demo world: sandbox at " + url in ui.stderr
    assert main(["demo"]) == 0
    assert main(["run", "--stage", "all"]) == 0
    spotify = dagster_materialize("--select", "group:spotify", "--partition", "demo")
    assert spotify.returncode == 0, spotify.stderr[-3000:]

    assert running_sandbox(demo_world) == url  # one sandbox all along
    library = requests.get(f"{url}/_sandbox/library", timeout=10).json()
    names = [p["name"] for p in library["playlists"] if p["owner"] == "demo" and p["name"] in CHILD_PLAYLISTS]
    assert sorted(names) == sorted(set(names)), f"duplicated child playlists in the sandbox: {sorted(names)}"
