"""The retry policy and header parsing as plain functions; the resource inside a Dagster run."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

import dagster as dg
import pytest

from resources.spotify import Failure, SpotifyResource, decide, retry_after_seconds
from tests.resource.conftest import make_resource

POLICY = dict(max_attempts=4, refreshed=False, backoff_s=0.5, max_backoff_s=30.0, max_retry_after_s=60.0)


def step(status, reason=None, retry_after=None, write=False, attempt=1, **overrides):
    return decide(Failure(status, reason, retry_after), write=write, attempt=attempt, **{**POLICY, **overrides})


@pytest.mark.parametrize("status", [None, 500, 502, 503, 504])
def test_reads_retry_transient_failures_with_doubling_backoff(status):
    assert [step(status, attempt=n).wait_s for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert step(status, attempt=1).action == "retry"
    assert step(status, attempt=4).action == "unavailable"


def test_backoff_is_capped():
    assert step(500, attempt=3, max_attempts=20, max_backoff_s=1.5).wait_s == 1.5


def test_429_honours_retry_after_up_to_the_cap():
    assert step(429, retry_after=60).action == "retry" and step(429, retry_after=60).wait_s == 60
    assert step(429, retry_after=61).action == "rate_limited"
    assert step(429, retry_after=5, attempt=4).action == "rate_limited"
    assert step(503, retry_after=120).action == "rate_limited"


def test_quota_exceeded_always_stops():
    assert step(429, reason="QUOTA_EXCEEDED", retry_after=1).action == "quota"
    assert step(429, reason="QUOTA_EXCEEDED", write=True).action == "quota"


@pytest.mark.parametrize("status", [None, 500, 502, 503])
def test_writes_are_never_retried(status):
    assert step(status, write=True).action == "uncertain"
    assert step(429, retry_after=1, write=True).action == "rate_limited"


def test_401_refreshes_once_then_counts_as_revoked():
    assert step(401).action == "refresh"
    assert step(401, refreshed=True).action == "revoked"


@pytest.mark.parametrize("status, action", [(403, "forbidden"), (404, "not_found"), (400, "bad_request")])
def test_client_errors_are_not_retried(status, action):
    assert step(status).action == action


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 5, 1, 12, tzinfo=UTC).timestamp()
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(format_datetime(datetime(2026, 5, 1, 13, tzinfo=UTC), usegmt=True), now) == 3600
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_the_resource_in_a_dagster_run_counts_under_the_run_and_asset_on_the_given_clock(logged_in, env, clock, sandbox):
    @dg.asset
    def profile(spotify: SpotifyResource) -> dg.MaterializeResult:
        me = spotify.me("alice")
        return dg.MaterializeResult(metadata={"id": me["id"], "requests": sum(spotify.requests_spent().values()),
                                              "now": spotify.time_source.time()})

    clock.advance(600)  # Dagster rebuilds the resource and its clock from config: the time stays moved
    spotify = make_resource(env, clock, run_id=None)
    result = dg.materialize([profile], resources={"spotify": spotify})

    assert result.success
    materialization = result.asset_materializations_for_node("profile")[0]
    assert materialization.metadata["requests"].value == 1
    assert materialization.metadata["now"].value == pytest.approx(time.time() + 600, abs=60)
    assert spotify.ledger.counts(run_id=result.run_id, asset="profile") == {"GET /v1/me": 1}
