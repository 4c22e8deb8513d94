"""`mixtape ui`: the Dagster UI on a persistent instance, in the demo world when no Spotify app is set.

With no `SPOTIFY_CLIENT_ID`, the UI stands on the same persistent demo sandbox as `mixtape demo`
(`<MIXTAPE_DATA_DIR>/sandbox/`, started or found running), the demo user's partition is registered
and the sandbox's base URLs are exported to Dagster. Then `dagster dev -w workspace.yaml` runs in its
own process group with `DAGSTER_HOME` kept in the project, and the whole group is ended when
`mixtape ui` ends (the sandbox keeps running for the next user).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from pipelines.commands.demo_sandbox import DEMO_USER
from pipelines.home import PROJECT_ROOT, ensure_dagster_home

SANDBOX_PORT = 8765


def free_port(preferred: int = 0, host: str = "127.0.0.1") -> int:
    """`preferred` when it is free, else any free port."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port")


def login_demo_user(user: str = DEMO_USER) -> str:
    """Log `user` in (against whatever the environment points at) and register its partition."""
    from pipelines.commands.login import login, register_partition
    from resources.settings import Settings

    login(Settings.from_env(), user, open_browser=False, timeout_s=10, say=lambda _: None)
    return register_partition(user)


def start_dagster_dev(port: int, env: dict[str, str] | None = None, cwd: Path | None = None,
                      log=None) -> subprocess.Popen:
    """`dagster dev -w workspace.yaml` in a new process group (its webserver and daemon are children)."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)]
    return subprocess.Popen(command, cwd=cwd or Path.cwd(), env=env or dict(os.environ), start_new_session=True,
                            stdout=log, stderr=subprocess.STDOUT if log else None)


def stop_process_group(process: subprocess.Popen, timeout_s: float = 15) -> None:
    """End `dagster dev` and everything it started: signalling only its pid leaves children running.

    SIGINT first (what Ctrl-C sends: dagster dev shuts its webserver and daemon down cleanly; it
    ignores SIGTERM for a long while), then SIGKILL for whatever of the group is left."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=timeout_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def run(args: argparse.Namespace) -> int:
    from pipelines.resources import enter_world

    home = ensure_dagster_home()
    if enter_world() == "demo":  # the demo sandbox is running and the environment points at it
        print(login_demo_user())
    print(f"DAGSTER_HOME={home}; the UI will be at http://127.0.0.1:{args.port}")
    process = start_dagster_dev(args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a plain `kill` still ends the whole group
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_process_group(process)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ui", help="the Dagster UI (dagster dev), on the sandbox when no credentials are set",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=3000, help="the UI's port (default 3000)")
    parser.set_defaults(func=run)
