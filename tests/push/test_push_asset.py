"""The push asset materialized through Dagster against the sandbox: tracklists from the warehouse,
a dry run from run config, then the real push with its metadata and api_requests rows."""

import dagster as dg
import polars as pl

from assets.ops.api_requests import api_requests
from assets.playlists import sync_events as events
from assets.playlists.push import MANAGED, TRACKLISTS, push_playlists
from assets.spotify import SPOTIFY_ASSETS
from tests.push.conftest import uri


def store_tracklist(warehouse, uris):
    with warehouse.connect() as con:
        con.execute(f"create table if not exists {TRACKLISTS} (user_id varchar, child_playlist varchar, "
                    "position integer, track_uri varchar)")
        con.execute(f"delete from {TRACKLISTS} where user_id = 'alice'")
        con.executemany(f"insert into {TRACKLISTS} (user_id, child_playlist, position, track_uri) values (?, ?, ?, ?)",
                        [("alice", "Focus", p, u) for p, u in enumerate(uris)])


def materialize(spotify, warehouse, instance, **config):
    return dg.materialize([push_playlists], partition_key="alice", instance=instance,
                          resources={"spotify": spotify, "warehouse": warehouse},
                          run_config={"ops": {"push_playlists": {"config": config}}})


def ingest(spotify, warehouse, instance):
    """Read alice's whole library, so the push knows it is complete."""
    assert dg.materialize(SPOTIFY_ASSETS, partition_key="alice", instance=instance,
                          resources={"spotify": spotify, "warehouse": warehouse}).success


def test_no_push_while_the_library_is_incomplete(spotify, warehouse, remote):
    store_tracklist(warehouse, [uri(i) for i in range(10)])
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        remote.reset()
        waiting = materialize(spotify, warehouse, instance)
        assert waiting.success and remote.writes() == {} and remote.stats() == {}
        metadata = waiting.asset_materializations_for_node("push_playlists")[0].metadata
        assert metadata["skipped"].value == "library sync incomplete"

        assert materialize(spotify, warehouse, instance, push_partial=True).success
        assert remote.writes() != {}


def test_dry_run_then_push_through_dagster(spotify, warehouse, remote):
    target = [uri(i) for i in range(130)]
    store_tracklist(warehouse, target)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        ingest(spotify, warehouse, instance)
        remote.reset()  # after login and ingestion
        dry = materialize(spotify, warehouse, instance, dry_run=True)
        assert dry.success and remote.writes() == {} and warehouse.read(MANAGED, user_id="alice").is_empty()

        result = materialize(spotify, warehouse, instance)
        assert result.success
        metadata = result.asset_materializations_for_node("push_playlists")[0].metadata
        assert metadata["Focus/status"].value == events.COMPLETED
        assert metadata["write_requests"].value == 2

    (playlist_id,) = warehouse.read(MANAGED, user_id="alice")["playlist_id"].to_list()
    assert remote.uris(playlist_id) == target
    api_requests(warehouse)  # the request ledger copied into ops.api_requests
    spent = warehouse.read("ops.api_requests", user_id="alice").filter(pl.col("asset") == "push_playlists")
    assert spent["requests"].sum() == sum(remote.stats().values())
    statuses = sorted(e["status"] for e in events.from_frame(warehouse.read(events.TABLE, user_id="alice")))
    assert statuses == [events.COMPLETED, events.SKIPPED]
