"""The demo world: one persistent sandbox every entry point shares when no Spotify app is configured.

The sandbox runs as a detached server process (`mixtape sandbox serve --state … --server-file …`)
whose state lives in `<MIXTAPE_DATA_DIR>/sandbox/state.json` (saved after every change) and whose
address is in `<MIXTAPE_DATA_DIR>/sandbox/server.json` ({pid, url}). The first user that finds none
answering starts one (under a lock, so the webserver, the daemon and a run starting together start
one between them) and logs the demo user in; the next finds it running. It ends itself after half an
hour without requests (or when its data directory is removed); the next user starts it again on the same state.

This module never imports the sandbox: the server is its own process.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

DEMO_USER = "demo"
IDLE_EXIT_S = 1800
PORT = 8765  # tried first (then the port it had before, then any free one): URLs stay the same across restarts
START_TIMEOUT_S = 60


def sandbox_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "sandbox"


def sandbox_state_file(data_dir: Path) -> Path:
    """Where the demo keeps the sandbox's state between runs."""
    return sandbox_dir(data_dir) / "state.json"


def server_file(data_dir: Path) -> Path:
    """{pid, url} of the running demo sandbox."""
    return sandbox_dir(data_dir) / "server.json"


def base_urls(url: str) -> dict[str, str]:
    """The environment that points every client at the sandbox on `url` (as the sandbox announces it)."""
    return {
        "SPOTIFY_API_BASE": url,
        "SPOTIFY_ACCOUNTS_BASE": url,
        "DEEZER_API_BASE": f"{url}/deezer",
        "LASTFM_API_BASE": f"{url}/lastfm",
        "MUSICBRAINZ_API_BASE": f"{url}/musicbrainz",
    }


def answering(url: str) -> bool:
    try:
        return requests.get(f"{url}/_sandbox/stats", timeout=2).ok
    except requests.RequestException:
        return False


def running_sandbox(data_dir: Path) -> str | None:
    """The url of the demo sandbox when one is running and answering."""
    try:
        server = json.loads(server_file(data_dir).read_text())
    except (OSError, ValueError):
        return None
    url = server.get("url")
    return url if url and answering(url) else None


@contextmanager
def _lock(data_dir: Path):
    folder = sandbox_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "server.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def spawn_sandbox(data_dir: Path) -> str:
    """Start the detached demo sandbox server on the saved state; its url once it answers."""
    data_dir = Path(data_dir).resolve()
    port = PORT
    try:
        port = int(json.loads(server_file(data_dir).read_text())["url"].rsplit(":", 1)[1]) or PORT
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        pass
    server_file(data_dir).unlink(missing_ok=True)
    library = os.environ.get("MIXTAPE_DEMO_LIBRARY")  # a library JSON instead of the demo's (small ones for tests)
    command = [sys.executable, "-m", "pipelines.cli", "sandbox", "serve",
               *(["--library", library] if library else ["--demo"]), "--port", str(port),
               "--state", str(sandbox_state_file(data_dir)), "--server-file", str(server_file(data_dir)),
               "--idle-exit", str(IDLE_EXIT_S),
               # the demo user's listening history, as if they had dropped their export (assets/listening/plays.py)
               "--export-dir", str(data_dir / "imports")]
    project = Path(__file__).resolve().parents[2]
    with open(sandbox_dir(data_dir) / "server.log", "ab") as log:
        subprocess.Popen(command, cwd=project, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True, env={**os.environ, "PYTHONPATH": str(project)})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        url = running_sandbox(data_dir)
        if url:
            return url
        time.sleep(0.1)
    raise RuntimeError(f"the demo sandbox did not start; see {sandbox_dir(data_dir) / 'server.log'}")


def ensure_demo_sandbox(data_dir: Path) -> tuple[str, bool]:
    """(url, started now) of the demo sandbox: the running one, else a new one on the saved state."""
    url = running_sandbox(data_dir)
    if url:
        return url, False
    with _lock(data_dir):
        url = running_sandbox(data_dir)  # another process may have started it while we waited
        if url:
            return url, False
        return spawn_sandbox(data_dir), True


def log_in_demo_user(user: str = DEMO_USER) -> str:
    """Store a token for the demo user from the sandbox the environment points at (no browser:
    the sandbox approves at once)."""
    from pipelines.commands.login import login
    from resources.settings import Settings

    return login(Settings.from_env(), user, open_browser=False, timeout_s=10, say=lambda _: None)


def demo_token_missing(data_dir: Path, user: str = DEMO_USER) -> bool:
    return not (Path(data_dir) / "tokens" / f"{user}.json").is_file()


def enter_demo_world(data_dir: Path, user: str = DEMO_USER) -> str:
    """Point this process's environment at the demo sandbox (started or found), with the demo user
    logged in against it; the sandbox's url."""
    url, started = ensure_demo_sandbox(data_dir)
    os.environ.update(base_urls(url))
    if started or demo_token_missing(data_dir, user):
        with _lock(data_dir):
            log_in_demo_user(user)
    return url
