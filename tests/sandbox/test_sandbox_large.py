"""A 50,000-song library and a playlist of thousands, paged through spotipy like a real sync."""

from __future__ import annotations

import pytest

from sandbox.generator import generate_library

from tests.sandbox.helpers import all_items, control


@pytest.fixture(scope="module")
def large_library():
    return generate_library(seed=50, users=1, liked=50_000, playlists=2, big_playlist=3_000)


def test_paging_50000_liked_songs(sandboxes, large_library):
    running = sandboxes.start(large_library)
    sp = sandboxes.client(running, user="alice")
    page = sp.current_user_saved_tracks(limit=50)
    entries = list(page["items"])
    while page["next"]:
        page = sp.next(page)
        entries += page["items"]
    assert len(entries) == page["total"] == 50_000
    assert len({e["track"]["id"] for e in entries}) == 50_000
    stamps = [e["added_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert control(running, "GET", "stats").json()["requests"]["GET /v1/me/tracks"] == 1_000


def test_a_playlist_of_thousands(sandboxes, large_library):
    running = sandboxes.start(large_library)
    sp = sandboxes.client(running, user="alice")
    big = next(p for p in large_library.playlists if len(p.items) >= 3_000)
    entries = all_items(sp, big.id)
    assert len(entries) == len(big.items)
    assert [e["item"]["id"] for e in entries if e["item"] and not e["is_local"]] == [
        i.track_id or i.episode_id for i in big.items if (i.track_id or i.episode_id)
    ]
