"""The automation conditions of assets/automation.py, ticked with dg.evaluate_automation_conditions.

The graph is the shape of mixtape's (per-user ingestion -> shared enrichment -> per-user features ->
tracklists -> push) with the real conditions. The FreshnessDaemon only runs inside dagster-daemon and
judges by the wall clock, so the test stands in for its verdict: in REFRESH_WHEN_STALE the freshness
operands (WARN or FAIL, newly true) are replaced by a custom condition that reads the verdict the test
sets; everything around them is the real condition.
"""

import warnings
from datetime import datetime, timedelta

import dagster as dg
import pytest

from assets.automation import (
    BUDGET_CHECK,
    BUDGET_KEY,
    EAGER,
    PUSH_WHEN_CHANGED,
    REFRESH_WHEN_STALE,
    ttl_policy,
)
from assets.ops.budget import budget_check_evaluation, spotify_budget_asset
from assets.partitions import spotify_users
from resources.budget import BudgetState

T0 = datetime(2026, 5, 1, 12, 0)


class DaemonVerdict(dg.AutomationCondition):
    """True for an asset while the FreshnessDaemon's latest verdict on it (as the test sets it) is `state`."""

    latest: dict[dg.AssetKey, str] = {}

    def __init__(self, state: str):
        self.state = state

    @property
    def name(self) -> str:
        return f"freshness_verdict={self.state}"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        hit = self.latest.get(context.key) == self.state
        return dg.AutomationResult(context=context, true_subset=context.candidate_subset if hit else context.get_empty_subset())


def stale_became_true(warned: dg.AutomationCondition, failed: dg.AutomationCondition) -> dg.AutomationCondition:
    return (warned | failed).with_label("stale").newly_true()


DAEMON_OPERANDS = stale_became_true(dg.AutomationCondition.freshness_warned(), dg.AutomationCondition.freshness_failed())
REFRESH = REFRESH_WHEN_STALE.replace(DAEMON_OPERANDS, stale_became_true(DaemonVerdict("WARN"), DaemonVerdict("FAIL")))


@dg.asset(partitions_def=spotify_users, group_name="spotify")
def liked(): ...


@dg.asset(deps=[liked], group_name="enrichment", automation_condition=REFRESH,
          freshness_policy=ttl_policy(timedelta(days=1)))
def deezer(): ...


@dg.asset(partitions_def=spotify_users, deps=[liked, deezer], automation_condition=EAGER)
def features(): ...


@dg.asset(partitions_def=spotify_users, deps=[features], automation_condition=EAGER)
def tracklists(): ...


@dg.asset(partitions_def=spotify_users, deps=[tracklists], automation_condition=PUSH_WHEN_CHANGED)
def push(): ...


@dg.asset_check(asset=BUDGET_KEY, name=BUDGET_CHECK)
def budget_check():
    return dg.AssetCheckResult(passed=True)


DEFS = dg.Definitions(assets=[liked, deezer, features, tracklists, push, spotify_budget_asset],
                      asset_checks=[budget_check])


class Ticker:
    """Evaluates the conditions tick after tick, one minute apart, keeping the cursor."""

    def __init__(self, instance):
        self.instance, self.cursor, self.time = instance, None, T0

    def tick(self) -> dg.AutomationResult:
        self.time += timedelta(minutes=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.BetaWarning)  # the tester's own internal selection
            result = dg.evaluate_automation_conditions(defs=DEFS, instance=self.instance, cursor=self.cursor,
                                                       evaluation_time=self.time)
        self.cursor = result.cursor
        return result


def materialize(instance, assets, partition=None):
    for a in assets:
        instance.report_runless_asset_event(dg.AssetMaterialization(a.key, partition=partition))


def freshness(key, new: str, previous: str):
    """The FreshnessDaemon's next verdict on `key` (it records only changes)."""
    assert DaemonVerdict.latest.get(key, "PASS") == previous
    DaemonVerdict.latest[key] = new


def requested(result, asset):
    return result.get_requested_partitions(asset.key) if asset.partitions_def else (
        {None} if result.get_num_requested(asset.key) else set())


def test_the_stand_in_takes_the_place_of_the_real_conditions_freshness_operands():
    assert REFRESH != REFRESH_WHEN_STALE
    assert REFRESH.get_label() == REFRESH_WHEN_STALE.get_label()


@pytest.fixture
def world():
    DaemonVerdict.latest.clear()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(spotify_users.name, ["alice", "bob"])
        ticker = Ticker(instance)
        for user in ("alice", "bob"):
            materialize(instance, [liked, features, tracklists, push], user)
        materialize(instance, [deezer])
        ticker.tick()  # the first tick only records where things stand
        yield instance, ticker


def test_stale_shared_cache_is_refreshed_once_and_a_fresh_one_never(world):
    instance, ticker = world
    assert ticker.tick().total_requested == 0  # fresh: nothing
    freshness(deezer.key, "FAIL", "PASS")
    assert requested(ticker.tick(), deezer) == {None}
    assert requested(ticker.tick(), deezer) == set()  # still FAIL: no retry storm
    materialize(instance, [deezer])
    freshness(deezer.key, "PASS", "FAIL")
    refreshed = ticker.tick()
    assert requested(refreshed, deezer) == set()
    assert ticker.tick().total_requested == 0 or requested(refreshed, features)  # downstream may follow once


def test_warn_starts_the_refresh_before_fail(world):
    instance, ticker = world
    freshness(deezer.key, "WARN", "PASS")
    assert requested(ticker.tick(), deezer) == {None}
    freshness(deezer.key, "FAIL", "WARN")
    assert requested(ticker.tick(), deezer) == set()  # the same staleness episode


def run_until_quiet(instance, ticker, limit=10):
    """Tick, materializing whatever each tick requested, until a tick requests nothing; the requests."""
    seen = []
    for _ in range(limit):
        result = ticker.tick()
        if result.total_requested == 0:
            return seen
        for asset in (deezer, features, tracklists, push):
            for partition in requested(result, asset):
                seen.append((asset.key.to_user_string(), partition))
                materialize(instance, [asset], partition)
    raise AssertionError(f"automation did not settle: {seen}")


def test_new_library_data_rebuilds_that_users_chain_once_and_settles(world):
    instance, ticker = world
    materialize(instance, [liked], "alice")
    seen = run_until_quiet(instance, ticker)
    for asset in ("features", "tracklists", "push"):
        assert 1 <= seen.count((asset, "alice")) <= 2, seen
    assert seen.count(("deezer", None)) == 1  # new tracks may need enrichment: one refresh
    assert run_until_quiet(instance, ticker) == []


def test_nothing_changed_means_nothing_runs(world):
    instance, ticker = world
    assert run_until_quiet(instance, ticker) == []


def test_push_waits_while_the_budget_is_spent_then_goes(world):
    instance, ticker = world
    instance.report_runless_asset_event(budget_check_evaluation(BudgetState(budget=10, spent=10)))
    materialize(instance, [tracklists], "bob")
    assert requested(ticker.tick(), push) == set()
    assert requested(ticker.tick(), push) == set()
    instance.report_runless_asset_event(budget_check_evaluation(BudgetState(budget=10, spent=3)))
    assert requested(ticker.tick(), push) == {"bob"}
    assert requested(ticker.tick(), push) == set()
