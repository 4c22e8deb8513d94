"""Pushing to the sandbox through the real Spotify resource: request counts, faults, reruns."""

import json
import math
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from assets.playlists import sync_events as events
from assets.playlists.push import MANAGED, MARKER
from tests.push.conftest import uri

BASE = [uri(i) for i in range(100)]
ITEMS = "/v1/playlists/{playlist_id}/items"


def managed_id(warehouse, child="Running", part=1) -> str:
    rows = warehouse.read(MANAGED, user_id="alice").filter(child_playlist=child, part=part)
    assert rows.height == 1
    return rows["playlist_id"][0]


def first_push(push, warehouse, clock, target=BASE):
    (event,) = push({"Running": target})
    assert event["status"] == events.COMPLETED
    clock.advance(120)  # later writes get a later added_at, so survivors can be told apart
    return managed_id(warehouse)


def assert_exact(remote, playlist_id, target, before=(), kept=()):
    """The playlist equals the target, and the entries promised to stay kept their added_at."""
    entries = remote.entries(playlist_id)
    assert [u for u, _ in entries] == target
    survivors = set(entries)
    for position in kept:
        assert before[position] in survivors


def test_first_push_creates_a_marked_managed_playlist_and_mixtape_never_touches_hers(push, warehouse, remote, clock):
    remote.reset()
    playlist_id = first_push(push, warehouse, clock)
    # a playlist just created is known to be empty: one create and one append, nothing read
    assert remote.stats() == {"POST /v1/me/playlists": 1, "POST /v1/playlists/{playlist_id}/items": 1}
    created = remote.playlist(playlist_id)
    assert created["name"] == "Running" and MARKER in created["description"]
    assert remote.uris(playlist_id) == BASE
    assert remote.uris("plHers") == ["spotify:track:tr1"]  # same name "Mix" elsewhere is irrelevant too
    push({"Running": BASE[:50]}, rule_hash="r2")
    assert remote.uris("plHers") == ["spotify:track:tr1"]


def test_an_unchanged_tracklist_costs_zero_writes_and_one_read(push, warehouse, remote, clock):
    first_push(push, warehouse, clock)
    remote.reset()
    (event,) = push({"Running": BASE})
    assert remote.writes() == {}
    assert sum(remote.stats().values()) == 1 == event["api_requests"]
    assert event["status"] == events.SKIPPED
    assert event["strategy"] == "noop" and event["requests_saved"] == event["replace_requests"] == 1


@pytest.mark.parametrize("k", [10, 100, 150])
def test_k_appended_tracks_cost_ceil_k_over_100_writes(push, warehouse, remote, clock, k):
    playlist_id = first_push(push, warehouse, clock)
    before = remote.entries(playlist_id)
    remote.reset()
    target = BASE + [uri(i) for i in range(100, 100 + k)]
    (event,) = push({"Running": target})
    assert remote.writes() == {f"POST {ITEMS}": math.ceil(k / 100)}
    assert event["write_requests"] == math.ceil(k / 100) and event["adds"] == k and event["removes"] == 0
    # the playlist is untouched since the last push, so it is planned from what was pushed, unread
    assert sum(remote.stats().values()) == 1 + math.ceil(k / 100) == event["api_requests"]
    assert_exact(remote, playlist_id, target, before, kept=range(100))


CHANGES = {
    "add": ("POST", BASE[:40] + [uri(i) for i in range(300, 310)] + BASE[40:]),
    "remove": ("DELETE", BASE[:20] + BASE[30:]),
    "reorder": ("PUT", BASE[:10] + BASE[20:90] + BASE[10:20] + BASE[90:]),
    "replace": ("PUT", [uri(i) for i in range(200, 340)]),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_write_applied_then_answered_502_is_re_read_not_re_sent(push, warehouse, remote, clock, change):
    method, target = CHANGES[change]
    playlist_id = first_push(push, warehouse, clock)
    before = remote.entries(playlist_id)
    remote.fault(route=f"{method} {ITEMS}", status=502, apply=True)
    (event,) = push({"Running": target}, rule_hash="r2")
    assert event["status"] == events.COMPLETED, event["error_message"]
    plan = json.loads(event["plan"])[0]
    assert plan["strategy"] == ("replace" if change == "replace" else "diff")
    kept = [p for p, (u, _) in enumerate(before) if u in target] if plan["strategy"] == "diff" else []
    assert_exact(remote, playlist_id, target, before, kept)
    assert remote.stats().get(f"{method} {ITEMS}", 0) >= 1


def test_a_rate_limited_write_waits_and_completes(push, warehouse, remote, clock):
    playlist_id = first_push(push, warehouse, clock)
    remote.fault(route=f"POST {ITEMS}", status=429, retry_after=5)
    target = BASE + [uri(i) for i in range(100, 120)]
    (event,) = push({"Running": target})
    assert event["status"] == events.COMPLETED
    assert any(4 < s <= 5 for s in clock.slept)
    assert remote.uris(playlist_id) == target


def test_a_long_retry_after_fails_the_event_and_the_rerun_finishes(push, warehouse, remote, clock):
    playlist_id = first_push(push, warehouse, clock)
    remote.fault(route=f"POST {ITEMS}", status=429, retry_after=7200)
    target = BASE + [uri(i) for i in range(100, 120)]
    (event,) = push({"Running": target})
    assert event["status"] == events.FAILED and "rate limit" in event["error_message"]
    clock.advance(7200)
    (event,) = push({"Running": target})
    assert event["status"] == events.COMPLETED and remote.uris(playlist_id) == target


def test_the_guardrail_keeps_an_upstream_failure_from_emptying_a_playlist(push, warehouse, remote, clock):
    playlist_id = first_push(push, warehouse, clock)
    (event,) = push({"Running": BASE[:10]})
    assert event["status"] == events.FAILED and "90 of 100" in event["error_message"]
    assert remote.uris(playlist_id) == BASE
    (event,) = push({"Running": BASE[:10]}, rule_hash="r2")  # the rule changed: allowed
    assert event["status"] == events.COMPLETED and remote.uris(playlist_id) == BASE[:10]


def test_dry_run_stores_the_plan_and_writes_nothing(push, warehouse, remote, clock):
    playlist_id = first_push(push, warehouse, clock)
    remote.reset()
    (event,) = push({"Running": BASE[5:] + [uri(300)]}, dry_run=True)
    assert remote.writes() == {}
    assert event["status"] == events.SKIPPED and event["dry_run"]
    steps = json.loads(event["plan"])[0]["steps"]
    assert [s["op"] for s in steps] == ["remove", "add"]
    stored = events.from_frame(warehouse.read(events.TABLE, user_id="alice"))
    assert any(e["dry_run"] and e["plan"] == event["plan"] for e in stored)
    assert remote.uris(playlist_id) == BASE


KILLED_PUSH = """
import json, os, sys
from assets.playlists.push import PushConfig, push_user
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse
wanted = json.loads(sys.argv[1])
spotify = SpotifyResource(api_base=os.environ["SPOTIFY_API_BASE"], accounts_base=os.environ["SPOTIFY_ACCOUNTS_BASE"],
                          data_dir=sys.argv[2], run_id="killed")
push_user(spotify, Warehouse(data_dir=sys.argv[2]), "alice", wanted, PushConfig(), run_id="killed")
"""


def test_a_push_killed_after_its_first_write_is_finished_by_the_rerun(push, warehouse, remote, clock, env):
    playlist_id = first_push(push, warehouse, clock)
    before = remote.entries(playlist_id)
    target = BASE[:20] + BASE[30:60] + [uri(i) for i in range(300, 310)] + BASE[60:]
    # the second write (the insert) hangs, unanswered and never applied, while the process is killed
    remote.fault(route=f"POST {ITEMS}", status=502, apply=False, delay_ms=20_000)
    remote.reset()
    wanted = {"Running": {"uris": target, "rule_hash": "r1", "base_source": "liked"}}
    child = subprocess.Popen([sys.executable, "-c", KILLED_PUSH, json.dumps(wanted), str(env / "data")],
                             cwd=env, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        deadline = time.monotonic() + 60
        while remote.stats().get(f"POST {ITEMS}", 0) == 0 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() is None, "the push ended before it could be killed"
    finally:
        child.kill()
        child.wait()
    assert remote.stats().get(f"DELETE {ITEMS}") == 1
    assert remote.uris(playlist_id) == BASE[:20] + BASE[30:]  # half done
    stored = events.from_frame(warehouse.read(events.TABLE, user_id="alice"))
    assert [e["status"] for e in stored if e["run_id"] == "killed"] == [events.IN_PROGRESS]

    (event,) = push({"Running": target}, later=timedelta(minutes=31))
    assert event["status"] == events.COMPLETED
    assert_exact(remote, playlist_id, target, before, kept=[p for p, (u, _) in enumerate(before) if u in target])
    (killed,) = [e for e in events.from_frame(warehouse.read(events.TABLE, user_id="alice")) if e["run_id"] == "killed"]
    assert killed["status"] == events.FAILED and "orphaned" in killed["error_message"]


def test_local_files_and_gone_tracks_added_by_hand_are_cleared(push, warehouse, remote, clock):
    playlist_id = first_push(push, warehouse, clock)
    library = requests.get(f"{remote.url}/_sandbox/library", timeout=10).json()
    playlist = next(p for p in library["playlists"] if p["id"] == playlist_id)
    playlist["items"][5:5] = [
        {"local": {"name": "Demo", "artist": "Me", "album": "Tapes", "duration_ms": 128000},
         "added_at": "2024-05-03T10:00:00Z", "added_by": "alice"},
        {"unavailable": True, "added_at": "2019-01-01T00:00:00Z", "added_by": None},
    ]
    requests.post(f"{remote.url}/_sandbox/library", json=library, timeout=10).raise_for_status()
    (event,) = push({"Running": BASE})
    assert event["status"] == events.COMPLETED, event["error_message"]
    assert event["strategy"] == "replace"
    assert (event["removes"], event["adds"]) == (2, 0) and remote.uris(playlist_id) == BASE
