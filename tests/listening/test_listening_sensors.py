"""The listening sensors against a real instance, warehouse and sandbox (build_sensor_context)."""

import os

import dagster as dg

from assets.listening.plays import imports_dir
from assets.listening.poll_schedule import Poll
from assets.listening.sensors import IMPORT_KEYS, POLL_KEYS, due_users, new_export_files, recently_played_poller
from assets.listening.poll_schedule import bounds
from tests.listening.plays_harness import world  # noqa: F401  (the fixture)


def evaluate(sensor, world, cursor=None):
    world.instance.add_dynamic_partitions("spotify_users", [world.user])
    with dg.build_sensor_context(instance=world.instance, cursor=cursor, resources=world.resources()) as context:
        return sensor(context)


def test_new_export_files_asks_for_an_import_of_new_files_only(world):
    first = evaluate(new_export_files, world)
    assert not first.run_requests
    [path] = world.drop_export()
    found = evaluate(new_export_files, world, first.cursor)
    [run] = found.run_requests
    assert (run.partition_key, sorted(run.asset_selection)) == ("alice", sorted(IMPORT_KEYS))
    assert not evaluate(new_export_files, world, found.cursor).run_requests  # nothing new since

    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # the same file dropped again
    assert evaluate(new_export_files, world, found.cursor).run_requests
    assert imports_dir(world.warehouse.data_dir, "bob") != path.parent


def test_the_poller_asks_for_a_users_first_poll_then_waits_for_the_schedule(world):
    [run] = evaluate(recently_played_poller, world).run_requests
    assert (run.partition_key, sorted(run.asset_selection)) == ("alice", sorted(POLL_KEYS))
    world.run(POLL_KEYS)
    assert isinstance(evaluate(recently_played_poller, world), dg.SkipReason)
    world.clock.advance(91 * 60)  # past the longest interval
    assert evaluate(recently_played_poller, world).run_requests


def test_the_poller_skips_while_the_budget_is_spent(world):
    world.budget_per_day = 0
    skipped = evaluate(recently_played_poller, world)
    assert isinstance(skipped, dg.SkipReason) and "budget" in skipped.skip_message and "no user due" not in skipped.skip_message
    assert world.spotify_requests() == 0


def test_a_requested_poll_is_not_requested_again_until_it_lands_or_is_overdue():
    limits = bounds(None, 1)
    polls = {"alice": [Poll(0.0, 0, None)], "bob": []}
    assert due_users(polls, {}, 5400.0, limits) == ["bob", "alice"]  # never polled first
    assert due_users(polls, {}, 5399.0, limits) == ["bob"]  # alice's quiet poll waits 90 min
    assert due_users(polls, {"bob": 5000.0}, 5400.0, limits) == ["alice"]  # bob's poll is on its way
    assert due_users(polls, {"bob": 5000.0}, 5000.0 + 15 * 60, limits) == ["bob", "alice"]  # or was lost
    assert due_users({"alice": [Poll(6000.0, 3, 5400.0)]}, {"alice": 5000.0}, 6000.0 + 5400.0, limits) == ["alice"]
