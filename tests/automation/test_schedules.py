"""The weekly full resync: one run per user with a token, forcing a full liked-songs read; waits on a spent budget."""

from datetime import datetime

import dagster as dg

from assets.spotify.library import LIKED_SONGS_KEY
from pipelines.schedules import full_liked_songs_resync
from pipelines.sensors import USER_TAG

SUNDAY_3AM = datetime(2026, 11, 22, 3, 0)


def evaluate(world):
    with dg.build_schedule_context(instance=world.instance, scheduled_execution_time=SUNDAY_3AM,
                                   resources=world.resources()) as context:  # the clock is a nested resource
        return full_liked_songs_resync(context)


def test_the_full_resync_rereads_every_users_liked_songs(world):
    world.login("alice")
    world.sync("alice")
    world.instance.add_dynamic_partitions("spotify_users", ["ghost"])  # a partition without a token
    [run] = evaluate(world)
    assert run.partition_key == "alice" and run.tags[USER_TAG] == "alice"

    assert world.execute(run).success
    latest = world.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=LIKED_SONGS_KEY, asset_partitions=["alice"]), limit=1).records[0]
    metadata = latest.asset_materialization.metadata
    assert metadata["mode"].value == "full"
    assert metadata["liked"].value == len(world.sandbox_library()["liked"]["alice"])


def test_the_full_resync_waits_while_the_budget_is_spent(world):
    world.budget_per_day = 30
    world.login("alice")
    world.sync("alice")
    spotify = world.spotify()
    while spotify.budget.remaining_today():
        spotify.me("alice")
    skipped = evaluate(world)
    assert isinstance(skipped, dg.SkipReason) and "budget spent" in skipped.skip_message
