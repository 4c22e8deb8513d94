"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

from pathlib import Path

import requests

from sandbox import RunningSandbox
from sandbox.library import Playlist

REPO = Path(__file__).resolve().parents[2]


def owned(running: RunningSandbox, user: str = "demo") -> Playlist:
    """The user's first own playlist: the generator puts every awkward item kind in it."""
    return next(p for p in running.world.library.playlists if p.owner == user and not p.collaborative)


def followed(running: RunningSandbox, user: str = "demo") -> Playlist:
    return next(p for p in running.world.library.playlists if user in p.followers)


def collaborating(running: RunningSandbox, user: str = "demo") -> Playlist:
    return next(p for p in running.world.library.playlists if user in p.collaborators)


def call(running: RunningSandbox, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, running.url + path, headers=headers, timeout=10, **kwargs)


def control(running: RunningSandbox, method: str, name: str, body=None) -> requests.Response:
    response = requests.request(method, f"{running.url}/_sandbox/{name}", json=body, timeout=30)
    response.raise_for_status()
    return response


def all_items(sp, playlist_id: str, **kwargs) -> list[dict]:
    page = sp.playlist_items(playlist_id, **kwargs)
    entries = list(page["items"])
    while page["next"]:
        page = sp.next(page)
        entries += page["items"]
    return entries
