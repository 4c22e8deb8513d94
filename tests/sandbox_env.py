"""A test's environment pointed at a running sandbox: what the end-to-end fixtures share."""

from __future__ import annotations

# Settings a developer's shell may carry that would point a test at a real app or elsewhere.
_FOREIGN = ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "DAGSTER_HOME", "SPOTIFY_REDIRECT_URI")


def point_at_sandbox(running, tmp_path, monkeypatch) -> str:
    """Spotify at the sandbox `running`, the test's folder as working directory with its data dir inside
    (returned), and none of the shell's app settings."""
    data_dir = str(tmp_path / "data")
    for name in _FOREIGN:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPOTIFY_API_BASE", running.url)
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", running.url)
    monkeypatch.setenv("MIXTAPE_DATA_DIR", data_dir)
    monkeypatch.chdir(tmp_path)
    return data_dir
