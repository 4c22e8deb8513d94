"""With extended access, the very first sync already reads the followed playlists a later one would read."""

from __future__ import annotations

import pytest

from sandbox.generator import generate_library
from tests.ingest.conftest import start


@pytest.fixture
def extended(tmp_path, monkeypatch):
    from resources.warehouse import Warehouse

    library = generate_library(seed=3, users=["alice", "bob"], liked=260, playlists=8, big_playlist=120,
                               profile="extended")
    running = start(library, tmp_path, monkeypatch, Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")))
    yield running
    running.sandbox.stop()


def test_first_sync_reads_followed_playlists_and_a_second_finds_nothing_left(extended):
    library = extended.library()
    followed = [p for p in library["playlists"] if "alice" in p["followers"]]
    assert followed
    assert extended.run().success
    items = dict(extended.sql("select playlist_id, count(*) from playlist_items where user_id = 'alice' group by 1"))
    assert {p["id"]: items.get(p["id"], 0) for p in followed} == {p["id"]: len(p["items"]) for p in followed}
    assert extended.sql("select count(*) from playlists where user_id = 'alice' and not readable")[0][0] == 0
    extended.reset()
    assert extended.run().success
    playlist_reads = {route: n for route, n in extended.api_requests().items() if "/playlists/{" in route}
    assert playlist_reads == {}, "the second sync read playlists the first one skipped"
