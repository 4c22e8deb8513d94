"""Sync events: lifecycle, orphan cleanup, and a round trip through the warehouse table."""

import json
from datetime import datetime, timedelta

from assets.playlists.plan import Item, plan_push
from assets.playlists.sync_events import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    TABLE,
    event_metadata,
    fail_orphans,
    finish_event,
    from_frame,
    record_plans,
    start_event,
    to_frame,
    upsert,
)
from resources.warehouse import Warehouse

NOW = datetime(2026, 11, 21, 12, 0)


def a_completed_event():
    current = [Item(f"spotify:track:{i}", None) for i in range(100)]
    plan = plan_push(current, [i.uri for i in current[:-10]])
    event = record_plans(start_event("alice", "Running", NOW, base_source="liked"), [plan])
    return finish_event(event, COMPLETED, NOW + timedelta(seconds=3), playlist_ids=["pl1"], tracks=90,
                        api_requests=4, write_requests=plan.requests)


def test_a_push_records_what_it_did_against_wipe_and_replace():
    event = a_completed_event()
    assert (event["status"], event["removes"], event["adds"], event["moves"]) == (COMPLETED, 10, 0, 0)
    assert event["replace_requests"] == 1 and event["write_requests"] == 1 and event["requests_saved"] == 0
    assert json.loads(event["child_playlist_ids"]) == ["pl1"]
    assert json.loads(event["plan"])[0]["steps"][0]["op"] == "remove"
    metadata = event_metadata(event)
    assert metadata["Running/removes"] == 10 and metadata["Running/status"] == COMPLETED


def test_only_in_progress_events_older_than_30_minutes_become_failed():
    old = start_event("alice", "A", NOW - timedelta(minutes=31))
    recent = start_event("alice", "B", NOW - timedelta(minutes=29))
    done = finish_event(start_event("alice", "C", NOW - timedelta(hours=2)), COMPLETED, NOW - timedelta(hours=1))
    after = {e["child_playlist"]: e for e in fail_orphans([old, recent, done], NOW)}
    assert after["A"]["status"] == FAILED and "orphaned" in after["A"]["error_message"]
    assert after["B"]["status"] == IN_PROGRESS
    assert after["C"] == done


def test_events_round_trip_through_the_warehouse(tmp_path):
    warehouse = Warehouse(data_dir=str(tmp_path))
    started = start_event("alice", "Running", NOW)
    warehouse.replace_partition(TABLE, "alice", to_frame([started]))
    events = upsert(from_frame(warehouse.read(TABLE, user_id="alice")), a_completed_event())
    warehouse.replace_partition(TABLE, "alice", to_frame(events))
    stored = {e["id"]: e for e in from_frame(warehouse.read(TABLE, user_id="alice"))}
    assert stored[started["id"]]["status"] == IN_PROGRESS
    assert sorted(e["status"] for e in stored.values()) == [COMPLETED, IN_PROGRESS]
    assert stored[started["id"]]["started_at"] == NOW
