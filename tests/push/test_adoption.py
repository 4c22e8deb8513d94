"""A lost warehouse finds its playlists again: after the warehouse file is deleted and the library
ingested anew, the push adopts the managed playlists by the marker in their descriptions (from the
listing in raw.playlists) instead of creating copies. Checked on the sandbox's own request counts."""

import os

import dagster as dg
import requests

from assets.playlists import sync_events as events
from assets.playlists.push import MANAGED, PushConfig, push_user
from resources.warehouse import Warehouse
from tests.push.conftest import uri
from tests.push.test_push_asset import ingest

TRACKLISTS = {"Running": [uri(i) for i in range(120)], "Walking": [uri(i) for i in range(200, 230)]}


def managed(remote) -> dict[str, list[str]]:
    """The sandbox's playlists carrying a mixtape marker: marker -> playlist ids."""
    library = requests.get(f"{remote.url}/_sandbox/library", timeout=10).json()
    found: dict[str, list[str]] = {}
    for playlist in library["playlists"]:
        description = playlist.get("description") or ""
        if "[mixtape:" in description:
            found.setdefault(description[description.index("[mixtape:"):], []).append(playlist["id"])
    return found


def test_a_lost_warehouse_adopts_its_playlists_instead_of_creating_copies(spotify, warehouse, remote, push, env, clock):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        ingest(spotify, warehouse, instance)
        first = push(TRACKLISTS)
        assert all(e["status"] == events.COMPLETED for e in first)
        before = managed(remote)
        assert len(before) == 2 and all(len(ids) == 1 for ids in before.values())

        # the warehouse is lost (the request ledger is kept)
        for path in env.glob("data/mixtape.duckdb*"):
            os.remove(path)
        lost = Warehouse(data_dir=str(env / "data"))
        assert lost.read(MANAGED, user_id="alice").is_empty()
        ingest(spotify, lost, instance)  # raw.playlists holds the listing again, markers included

        remote.reset()
        wanted = {child: {"uris": uris, "rule_hash": "r1", "base_source": "liked"} for child, uris in TRACKLISTS.items()}
        second = push_user(spotify, lost, "alice", wanted, PushConfig(), run_id="again", log=lambda _: None,
                           clock=clock, sleep=clock.sleep)
        assert all(e["status"] in (events.COMPLETED, events.SKIPPED) for e in second), second
        assert remote.writes() == {}  # the adopted playlists already hold their tracklists
        assert remote.stats().get("POST /v1/me/playlists", 0) == 0
        assert managed(remote) == before  # exactly one playlist per child playlist, the same ones
        for child, target in TRACKLISTS.items():
            (playlist_id,) = lost.read(MANAGED, user_id="alice").filter(child_playlist=child)["playlist_id"].to_list()
            assert remote.uris(playlist_id) == target
