"""A clean demo world for the demo tests: no Spotify variables, its own data dir, Dagster home and
rule file; the detached demo sandbox it starts is stopped afterwards."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from pipelines.commands.demo_sandbox import server_file

PROJECT = Path(__file__).resolve().parents[2]
WORLD_VARIABLES = ["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_API_BASE", "SPOTIFY_ACCOUNTS_BASE",
                   "DEEZER_API_BASE", "LASTFM_API_BASE", "MUSICBRAINZ_API_BASE", "MIXTAPE_STORAGE"]


@pytest.fixture
def clean_demo_world(tmp_path, monkeypatch):
    """The demo world in tmp_path, on the demo library unless a test sets MIXTAPE_DEMO_LIBRARY; its data dir."""
    for name in [*WORLD_VARIABLES, "MIXTAPE_DEMO_LIBRARY"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("MIXTAPE_RULES", str(PROJECT / "playlists.yaml"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path / "data"
    for name in WORLD_VARIABLES:  # set by the world switch in this process
        os.environ.pop(name, None)
    try:
        os.kill(json.loads(server_file(tmp_path / "data").read_text())["pid"], signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass
