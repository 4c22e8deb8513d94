"""The sensors' pure decisions: what changed, who is stale, what the budget allows."""

from datetime import datetime, timedelta

import pytest

from assets.automation import ttl_policy
from pipelines.sensors import (
    CHANGE_CHECK_SHARE,
    CHECK_COST,
    MIN_CHECK_INTERVAL_S,
    LikedHead,
    changed_playlists,
    check_interval_s,
    due_for_check,
    liked_changed,
    stale_users,
)
from resources.budget import BudgetState, affordable

T0 = datetime(2026, 5, 1, 10, 0, 0)
HOUR = 3600.0


def head(total, track_id=None, added_at="2026-05-01T10:00:00Z"):
    items = [{"added_at": added_at, "track": {"id": track_id}}] if track_id else []
    return {"total": total, "items": items}


def test_liked_unchanged_when_total_and_newest_like_match():
    known = LikedHead(3, frozenset({("t1", T0)}))
    assert not liked_changed(head(3, "t1"), known)


@pytest.mark.parametrize("page", [
    head(4, "t9", "2026-05-02T09:00:00Z"),   # a new like
    head(2, "t1"),                           # an unlike somewhere below
    head(3, "t9", "2026-05-02T09:00:00Z"),   # one new, one removed: same total, new head
    head(3, "t1", "2026-05-02T09:00:00Z"),   # unliked and liked again: same track, new added_at
])
def test_liked_changed(page):
    assert liked_changed(page, LikedHead(3, frozenset({("t1", T0)})))


def test_liked_ties_on_the_newest_time_are_all_known():
    known = LikedHead(2, frozenset({("t1", T0), ("t2", T0)}))
    assert not liked_changed(head(2, "t2"), known)


def test_empty_library_matches_empty_warehouse():
    assert not liked_changed(head(0), LikedHead(0, frozenset()))


def test_changed_playlists_are_new_gone_or_with_another_snapshot():
    listing = {"a": "s1", "b": "s2-new", "c": "s3"}
    known = {"a": "s1", "b": "s2", "d": "s4"}
    assert changed_playlists(listing, known) == ["b", "c", "d"]
    assert changed_playlists(known, known) == []


def test_stale_users_oldest_first_and_never_synced_first():
    now = 100 * HOUR
    synced = {"fresh": now - 1 * HOUR, "old": now - 30 * HOUR, "older": now - 50 * HOUR, "new": None}
    assert stale_users(synced, {}, now, ttl_s=24 * HOUR) == ["new", "older", "old"]


def test_a_requested_refresh_is_not_requested_again_until_it_lands_or_times_out():
    now = 100 * HOUR
    synced = {"old": now - 30 * HOUR}
    assert stale_users(synced, {"old": now - 0.5 * HOUR}, now, ttl_s=24 * HOUR) == []
    assert stale_users(synced, {"old": now - 2 * HOUR}, now, ttl_s=24 * HOUR, retry_after_s=HOUR) == ["old"]
    # requested before its last sync: that request is history
    assert stale_users(synced, {"old": now - 31 * HOUR}, now, ttl_s=24 * HOUR) == ["old"]


def test_affordable_takes_what_the_budget_allows():
    users = ["a", "b", "c"]
    assert affordable(users, BudgetState(budget=10, spent=3), cost_per_user=3) == ["a", "b"]
    assert affordable(users, BudgetState(budget=10, spent=10), cost_per_user=3) == []
    assert affordable(users, BudgetState(budget=None, spent=500), cost_per_user=3) == users
    cooling = BudgetState(budget=None, spent=0, resume_at=T0, cooldown_kind="quota")
    assert affordable(users, cooling, cost_per_user=1) == []


def test_checks_are_paced_to_a_fifth_of_the_budget():
    assert check_interval_s(None, 5) == MIN_CHECK_INTERVAL_S
    assert check_interval_s(100_000, 1) == MIN_CHECK_INTERVAL_S  # never more often than that
    interval = check_interval_s(900, 5)
    checks_per_day = 5 * CHECK_COST * 86400 / interval
    assert checks_per_day == pytest.approx(900 * CHANGE_CHECK_SHARE)


def test_the_longest_unchecked_users_are_due_first():
    now = 10 * HOUR
    checked = {"a": now - 2 * HOUR, "b": now - 3 * HOUR, "c": now - 0.5 * HOUR}
    assert due_for_check(["a", "b", "c", "new"], checked, now, interval_s=HOUR) == ["new", "b", "a"]


def test_budget_reasons_name_the_resume_time():
    spent = BudgetState(budget=900, spent=900, day_ends_at=datetime(2026, 5, 2))
    assert spent.paused and "2026-05-02 00:00:00 UTC" in spent.reason()
    quota = BudgetState(budget=900, spent=10, resume_at=datetime(2026, 5, 1, 20, 30), cooldown_kind="quota")
    assert quota.paused and "QUOTA_EXCEEDED" in quota.reason() and "2026-05-01 20:30:00 UTC" in quota.reason()
    fine = BudgetState(budget=900, spent=10)
    assert not fine.paused and fine.reason() == "" and fine.summary() == "890 of 900 Spotify requests left today"


def test_ttl_policy_warns_before_it_fails():
    policy = ttl_policy(timedelta(hours=24))
    assert policy.fail_window.to_timedelta() == timedelta(hours=24)
    assert policy.warn_window.to_timedelta() == timedelta(hours=18)
