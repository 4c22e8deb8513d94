"""Keeping a sandbox's state between processes (the demo and `mixtape ui` resume where they left off)."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox import RunningSandbox, start_sandbox
from sandbox.library import Library


def start_resumed_sandbox(state_file: Path, fresh: Library, **options) -> RunningSandbox:
    """A sandbox on the state saved in `state_file`, or on `fresh` when there is none yet."""
    library, writes = fresh, {}
    if state_file.is_file():
        saved = json.loads(state_file.read_text())
        library, writes = Library.model_validate(saved["library"]), saved["playlist_writes"]
    running = start_sandbox(library, **options)
    running.world.playlist_writes.update(writes)  # snapshot ids continue from the saved ones
    return running


def save_state(running: RunningSandbox, state_file: Path) -> None:
    """Write the library as it is now (after writes) and the per-playlist write counts."""
    with running.sandbox.lock:
        state = {"library": running.world.library.model_dump(mode="json"),
                 "playlist_writes": dict(running.world.playlist_writes)}
    state_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = state_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(state_file)
