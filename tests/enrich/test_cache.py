"""The pure cache rules: TTLs, which keys are due, merging, coverage; and Deezer's tempo flag."""

from datetime import datetime, timedelta

import pytest

from assets.enrichment.cache import (
    DEFAULT_TTLS, ERROR, HIT, MISS, PENDING, Ttl, coverage, expires_at, fetch_all, keys_to_fetch, merge, miss_wait,
)
from assets.enrichment.factory import EnrichConfig
from assets.enrichment.lookups import deezer_values, tempo_flag
from resources.deezer import DeezerTrack
from resources.http import ServiceError, ServiceUnavailable

NOW = datetime(2026, 11, 21, 12, 0)
TTL = Ttl(hit=timedelta(days=7), miss=timedelta(minutes=5))


def test_default_ttls():
    assert DEFAULT_TTLS["deezer"] == Ttl(timedelta(days=90), timedelta(minutes=5))
    assert DEFAULT_TTLS["lastfm"] == Ttl(timedelta(days=7), timedelta(minutes=5))
    assert DEFAULT_TTLS["musicbrainz"] == Ttl(timedelta(days=30), timedelta(minutes=5))


def test_config_overrides_ttls_and_time():
    config = EnrichConfig(hit_ttl_hours=1, as_of="2026-01-02T03:04:05")
    assert config.ttl(DEFAULT_TTLS["deezer"]) == Ttl(timedelta(hours=1), timedelta(minutes=5))
    assert config.now() == datetime(2026, 1, 2, 3, 4, 5)
    assert EnrichConfig(miss_ttl_minutes=30).ttl(DEFAULT_TTLS["lastfm"]).miss == timedelta(minutes=30)


def test_expiry_by_status():
    assert expires_at(HIT, NOW, TTL) == NOW + timedelta(days=7)
    assert expires_at(MISS, NOW, TTL) == NOW + timedelta(minutes=5)
    assert expires_at(ERROR, NOW, TTL) == NOW


def test_misses_in_a_row_wait_5_minutes_then_an_hour_a_day_and_every_week():
    waits = [miss_wait(n, TTL) for n in range(1, 7)]
    assert waits == [timedelta(minutes=5), timedelta(hours=1), timedelta(days=1)] + [timedelta(weeks=1)] * 3
    assert miss_wait(1, Ttl(timedelta(days=1), timedelta(hours=2))) == timedelta(hours=2)  # a longer first wait
    assert miss_wait(2, Ttl(timedelta(days=1), timedelta(hours=2))) == timedelta(hours=2)  # is never undercut
    assert expires_at(MISS, NOW, TTL, misses=3) == NOW + timedelta(days=1)


def test_a_key_missed_again_backs_off_and_a_hit_or_an_error_resets_or_keeps_the_count():
    answers = {"missed-twice": None, "new-miss": None, "found-at-last": {"bpm": 90.0}, "down": "error"}

    def lookup(key):
        if answers[key] == "error":
            raise ServiceError("deezer", "error 600")
        return answers[key]

    before = {"missed-twice": 2, "found-at-last": 3, "down": 2}
    fetched = fetch_all(list(answers), lookup, NOW, TTL, is_error=lambda e: isinstance(e, ServiceError),
                        misses_before=before)
    by_key = {f.key: f for f in fetched}
    assert {k: f.misses for k, f in by_key.items()} == {"missed-twice": 3, "new-miss": 1, "found-at-last": 0, "down": 2}
    assert by_key["missed-twice"].expires_at == NOW + timedelta(days=1)
    assert by_key["new-miss"].expires_at == NOW + timedelta(minutes=5)
    assert by_key["down"].expires_at == NOW  # an error is asked again at once, its count kept for the next miss
    assert merge({}, fetched, "deezer")["missed-twice"]["misses"] == 3


def test_a_transient_failure_is_not_a_miss():
    def lookup(key):
        raise ServiceUnavailable("lastfm", "HTTP 503")

    (fetched,) = fetch_all(["x"], lookup, NOW, TTL, is_error=lambda e: isinstance(e, ServiceError),
                           is_transient=lambda e: isinstance(e, ServiceUnavailable), misses_before={"x": 2})
    assert fetched.status == PENDING and fetched.misses == 2
    earlier = {"status": MISS, "misses": 2, "fetched_at": NOW, "expires_at": NOW}
    assert merge({"x": earlier}, [fetched], "lastfm") == {"x": earlier}  # nothing written: asked again next run


def test_due_keys_are_new_expired_or_errors_once_each_in_order():
    cached = {
        "fresh-hit": (HIT, NOW + timedelta(days=1)),
        "stale-hit": (HIT, NOW - timedelta(seconds=1)),
        "fresh-miss": (MISS, NOW + timedelta(minutes=1)),
        "expiring-now": (MISS, NOW),
        "error": (ERROR, NOW + timedelta(days=1)),  # an error is due whatever its expiry says
    }
    wanted = ["new", "fresh-hit", "stale-hit", "fresh-miss", "expiring-now", "error", "new"]
    assert keys_to_fetch(wanted, cached, NOW) == ["new", "stale-hit", "expiring-now", "error"]


def test_fetch_all_sorts_answers_into_hits_misses_and_errors():
    answers = {"a": {"bpm": 120.0}, "b": None}

    def lookup(key):
        if key == "c":
            raise ServiceError("deezer", "error 4")
        return answers[key]

    fetched = fetch_all(["a", "b", "c"], lookup, NOW, TTL, is_error=lambda e: isinstance(e, ServiceError))
    assert [(f.key, f.status, f.values) for f in fetched] == [("a", HIT, {"bpm": 120.0}), ("b", MISS, {}), ("c", ERROR, {})]
    assert [f.expires_at for f in fetched] == [NOW + TTL.hit, NOW + TTL.miss, NOW]


def test_fetch_all_stops_asking_a_service_that_keeps_failing():
    asked = []

    def lookup(key):
        asked.append(key)
        raise ServiceError("lastfm", "error 16")

    fetched = fetch_all(list(range(10)), lookup, NOW, TTL, is_error=lambda e: isinstance(e, ServiceError), give_up_after=3)
    assert asked == [0, 1, 2]
    assert [f.status for f in fetched] == [ERROR] * 10


def test_fetch_all_leaves_transient_failures_pending_and_merge_writes_nothing_for_them():
    asked = []

    def lookup(key):
        asked.append(key)
        if key == "ok":
            return {"bpm": 99.0}
        raise ServiceUnavailable("deezer", "connection failed")

    is_error, is_transient = (lambda e: isinstance(e, ServiceError)), (lambda e: isinstance(e, ServiceUnavailable))
    fetched = fetch_all(["ok", *range(6)], lookup, NOW, TTL, is_error=is_error, is_transient=is_transient, give_up_after=3)
    assert asked == ["ok", 0, 1, 2]
    assert [f.status for f in fetched] == [HIT] + [PENDING] * 6
    earlier = NOW - timedelta(days=100)
    cached = {0: {"bpm": 80.0, "status": HIT, "source": "deezer", "fetched_at": earlier, "expires_at": earlier}}
    merged = merge(cached, fetched, "deezer")
    assert set(merged) == {"ok", 0}  # no row for a pending key; an earlier row stays as it was
    assert merged[0] == cached[0]


def test_fetch_all_lets_programming_errors_through():
    with pytest.raises(KeyError):
        fetch_all(["x"], lambda key: {}[key], NOW, TTL, is_error=lambda e: isinstance(e, ServiceError))


def test_merge_replaces_rows_but_an_error_never_overwrites_a_hit():
    earlier = NOW - timedelta(days=8)
    cached = {
        ("a",): {"isrc": "a", "bpm": 100.0, "status": HIT, "source": "deezer", "fetched_at": earlier, "expires_at": earlier},
        ("b",): {"isrc": "b", "bpm": None, "status": MISS, "source": "deezer", "fetched_at": earlier, "expires_at": earlier},
        ("keep",): {"isrc": "keep", "bpm": 90.0, "status": HIT, "source": "deezer", "fetched_at": earlier, "expires_at": NOW},
    }
    fetched = fetch_all([("a",), ("b",), ("c",)], lambda key: (_ for _ in ()).throw(ServiceError("deezer", "down")) if key == ("a",) else {"bpm": 128.0},
                        NOW, TTL, is_error=lambda e: isinstance(e, ServiceError))
    merged = merge(cached, fetched, "deezer")
    assert merged[("a",)]["bpm"] == 100.0 and merged[("a",)]["status"] == HIT
    assert merged[("a",)]["expires_at"] == NOW  # kept, but due again next run
    assert merged[("b",)] == {"bpm": 128.0, "status": HIT, "source": "deezer", "fetched_at": NOW, "expires_at": NOW + TTL.hit,
                                 "misses": 0}
    assert merged[("c",)]["status"] == HIT and merged[("keep",)] == cached[("keep",)]


def test_coverage_counts_and_shares():
    rows = [{"status": HIT}] * 3 + [{"status": MISS}] + [{"status": ERROR}] * 0
    assert coverage(rows) == {"hit": 3, "miss": 1, "error": 0, "total": 4,
                              "hit_share": 0.75, "miss_share": 0.25, "error_share": 0.0}
    assert coverage([])["hit_share"] == 0.0


@pytest.mark.parametrize("bpm, flag", [(None, None), (59.9, "half"), (60.0, None), (128.0, None), (200.0, None), (246.0, "double")])
def test_tempo_flag(bpm, flag):
    assert tempo_flag(bpm) == flag


def test_deezer_zero_bpm_is_unknown_but_kept_raw():
    values = deezer_values(DeezerTrack("X", 1, 0.0, -8.0, 10, "2020-01-01"))
    assert (values["bpm"], values["bpm_raw"], values["bpm_flag"]) == (None, 0.0, None)
    assert deezer_values(DeezerTrack("X", 1, 64.0, None, None, None))["bpm_flag"] is None
    assert deezer_values(None) is None
