"""mixtape's sensors against the sandbox, the warehouse and a Dagster instance (build_sensor_context)."""

from __future__ import annotations

import pytest
import requests

from assets.automation import BUDGET_CHECK, BUDGET_KEY
from assets.partitions import spotify_users
from resources.spotify_errors import SpotifyQuotaExceeded
from pipelines.sensors import (
    CATALOG_KEYS,
    MIN_CHECK_INTERVAL_S,
    PLAYLIST_KEYS,
    USER_TAG,
    new_spotify_users,
    spotify_budget,
    spotify_changes,
    stale_spotify_users,
)

HOUR = 3600.0


def test_a_new_user_is_added_and_materialized(world):
    world.login("alice")
    result = world.tick(new_spotify_users)
    [add] = result.dynamic_partitions_requests
    assert add.partitions_def_name == spotify_users.name and list(add.partition_keys) == ["alice"]
    [run] = result.run_requests
    assert run.partition_key == "alice" and run.tags[USER_TAG] == "alice"

    world.instance.add_dynamic_partitions(spotify_users.name, add.partition_keys)  # what the daemon does
    assert world.execute(run).success
    liked = len(world.sandbox_library()["liked"]["alice"])
    assert world.warehouse.query("select count(*) from raw.liked_songs where user_id = 'alice'").item() == liked

    again = world.tick(new_spotify_users)
    assert not again.run_requests and not again.dynamic_partitions_requests and "no new users" in again.skip_message


def test_a_stale_user_is_refreshed_once_and_a_fresh_one_never(world):
    for user in ("alice", "bob"):
        world.login(user)
    world.sync("alice")
    world.advance(20 * HOUR)
    world.sync("bob")
    world.advance(5 * HOUR)  # alice synced 25 h ago, bob 5 h ago; the TTL is 24 h

    first = world.tick(stale_spotify_users)
    assert [(r.partition_key, r.tags[USER_TAG]) for r in first.run_requests] == [("alice", "alice")]
    second = world.tick(stale_spotify_users, first.cursor)
    assert second.run_requests == [] and second.skip_message

    assert world.execute(first.run_requests[0]).success
    world.advance(1 * HOUR)
    third = world.tick(stale_spotify_users, second.cursor or first.cursor)
    assert third.run_requests == []


def test_a_playlist_edit_triggers_exactly_that_users_playlist_refresh(world):
    for user in ("alice", "bob"):
        world.login(user)
        world.sync(user)
    quiet = world.tick(spotify_changes)
    assert quiet.run_requests == []

    # bob adds a track to one of his own playlists, through the Web API, as any client would
    library = world.sandbox_library()
    mine = next(p for p in library["playlists"] if p["owner"] == "bob" and not p["collaborators"])
    track = library["tracks"][0]["id"]
    spotify = world.spotify()
    spotify.add_items("bob", mine["id"], [f"spotify:track:{track}"])
    before = world.stats()

    assert world.tick(spotify_changes, quiet.cursor).run_requests == []  # checked a moment ago: not due
    world.advance(MIN_CHECK_INTERVAL_S)
    result = world.tick(spotify_changes, quiet.cursor)
    [run] = result.run_requests
    assert run.partition_key == "bob" and run.tags[USER_TAG] == "bob"
    assert set(run.asset_selection) == {*PLAYLIST_KEYS, *CATALOG_KEYS}  # liked songs untouched
    assert mine["id"] in run.tags["mixtape/changed_playlists"].split(",")
    spent = {k: world.stats().get(k, 0) - before.get(k, 0) for k in world.stats()}
    assert sum(spent.values()) == 4  # two users × (one listing page + one head page)

    assert world.execute(run).success
    world.advance(MIN_CHECK_INTERVAL_S)
    assert world.tick(spotify_changes, result.cursor).run_requests == []


def test_a_spent_budget_defers_every_sensor(world):
    world.budget_per_day = 40
    for user in ("alice", "bob"):
        world.login(user)
    world.sync("alice")
    spotify = world.spotify()
    while spotify.budget.remaining_today():
        spotify.me("alice")  # spend what is left of today's budget

    ttl = world.tick(stale_spotify_users)
    changes = world.tick(spotify_changes)
    onboarding = world.tick(new_spotify_users)
    for result in (ttl, changes):
        assert result.run_requests == [] and "budget spent" in result.skip_message and "UTC" in result.skip_message
    assert list(onboarding.dynamic_partitions_requests[0].partition_keys) == ["bob"]  # registered ...
    assert onboarding.run_requests == []  # ... but its sync waits

    budget = world.tick(spotify_budget)
    [observation, check] = budget.asset_events
    assert observation.asset_key == BUDGET_KEY and observation.metadata["remaining_today"].value == 0
    assert check.check_name == BUDGET_CHECK and not check.passed


def quota_exceeded(world, spotify, hours: float) -> None:
    """Spotify answers the next request with 429 QUOTA_EXCEEDED and a Retry-After of `hours`."""
    requests.post(f"{world.sandbox.url}/_sandbox/faults", timeout=5,
                  json=[{"route": "GET /v1/me", "times": 1, "status": 429, "reason": "QUOTA_EXCEEDED",
                         "retry_after": int(hours * HOUR)}]).raise_for_status()
    with pytest.raises(SpotifyQuotaExceeded):
        spotify.me("alice")


def test_a_quota_cooldown_stops_all_spotify_work_until_it_ends(world):
    world.login("alice")
    world.sync("alice")
    world.advance(25 * HOUR)  # alice is stale now
    quota_exceeded(world, world.spotify(), hours=10)

    for sensor in (stale_spotify_users, spotify_changes):
        result = world.tick(sensor)
        assert result.run_requests == []
        assert "QUOTA_EXCEEDED" in result.skip_message and "UTC" in result.skip_message
    [_, check] = world.tick(spotify_budget).asset_events
    assert not check.passed and "resume_at_utc" in check.metadata

    world.advance(10 * HOUR + 60)
    assert [r.partition_key for r in world.tick(stale_spotify_users).run_requests] == ["alice"]
