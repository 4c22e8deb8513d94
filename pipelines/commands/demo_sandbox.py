"""The demo sandbox `mixtape demo` and `mixtape ui` stand on: the demo library served in this
process, its base URLs exported for every client."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_USER = "demo"


def sandbox_state_file(data_dir: Path) -> Path:
    """Where the demo keeps the sandbox's state between runs."""
    return data_dir / "sandbox" / "state.json"


def start_demo_sandbox(port: int = 0, state_file: Path | None = None):
    """The sandbox with the demo library, in this process, resumed from `state_file` when one is
    given (so a rerun finds its earlier writes); its base URLs are put in os.environ."""
    from sandbox.generator import demo_library

    if state_file is None:
        from sandbox import start_sandbox

        running = start_sandbox(demo_library(), port=port)
    else:
        from sandbox.persist import start_resumed_sandbox

        running = start_resumed_sandbox(state_file, demo_library(), port=port)
    os.environ.update(running.base_urls)
    return running
