"""Sync events: one audit row per push of one child playlist, as plain dicts.

Pure functions; the push asset stores the rows in `ops.sync_events` and shows them as metadata.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import polars as pl

from assets.playlists.plan import Plan
from resources.warehouse import polars_schema

TABLE = "ops.sync_events"
IN_PROGRESS, COMPLETED, FAILED, SKIPPED = "in_progress", "completed", "failed", "skipped"
ORPHAN_TIMEOUT = timedelta(minutes=30)

SCHEMA = polars_schema(TABLE)  # from sql/tables/ops_sync_events.sql
COUNTS = ("tracks_processed", "api_requests", "write_requests", "adds", "removes", "moves", "replace_requests",
          "requests_saved", "unpushable", "uncertain_writes")


def start_event(user_id: str, child_playlist: str, now: datetime, base_source: str | None = None,
                run_id: str | None = None, dry_run: bool = False) -> dict:
    event = {key: None for key in SCHEMA}
    event.update({key: 0 for key in COUNTS})
    event.update(
        id=uuid.uuid4().hex, user_id=user_id, base_source=base_source, child_playlist=child_playlist,
        child_playlist_ids="[]", status=IN_PROGRESS, started_at=now, dry_run=dry_run, run_id=run_id,
        created=now, updated=now,
    )
    return event


def record_plans(event: dict, plans: list[Plan]) -> dict:
    """The first plan of each part: what the push set out to do, against wipe-and-replace."""
    return {
        **event,
        "adds": sum(p.added for p in plans),
        "removes": sum(p.removed for p in plans),
        "moves": sum(p.moves for p in plans),
        "replace_requests": sum(p.replace_requests for p in plans),
        "strategy": ",".join(p.strategy for p in plans) or None,
        "plan": json.dumps([plan_json(p) for p in plans]),
    }


def finish_event(event: dict, status: str, now: datetime, *, playlist_ids: list[str] = (), tracks: int = 0,
                 api_requests: int = 0, write_requests: int = 0, error: str | None = None) -> dict:
    wrote = status == COMPLETED or (status == SKIPPED and not event["dry_run"])
    saved = event["replace_requests"] - write_requests if wrote else 0
    return {
        **event, "status": status, "completed_at": now, "updated": now, "error_message": error,
        "child_playlist_ids": json.dumps(list(playlist_ids)), "tracks_processed": tracks,
        "api_requests": api_requests, "write_requests": write_requests, "requests_saved": saved,
    }


def record_applied(event: dict, applied: list[dict]) -> dict:
    """What was actually sent, whatever the outcome: a failed push still counts every write it applied
    (or may have applied: `uncertain`). adds/removes/moves then count the sent steps, not the plan."""
    event = {**event, "applied": json.dumps(applied), "write_requests": len(applied),
             "uncertain_writes": sum(1 for a in applied if a["outcome"] == "uncertain")}
    if event["status"] == FAILED:
        sent = [a for a in applied if a["outcome"] != "failed"]  # failed: refused before applying
        event.update(adds=sum(len(a.get("uris", ())) for a in sent if a["op"] in ("add", "replace")),
                     removes=sum(len(i["positions"]) or 1 for a in sent if a["op"] == "remove" for i in a["items"]),
                     moves=sum(1 for a in sent if a["op"] == "move"))
    return event


def fail_orphans(events: list[dict], now: datetime, running: Callable[[str | None], bool] | None = None,
                 timeout: timedelta = ORPHAN_TIMEOUT) -> list[dict]:
    """Events still in_progress whose run is no longer running belong to a push that died: mark them
    failed at once. `running(run_id)` says whether a run is still alive (the Dagster instance's run
    status); without it, only the timeout tells."""
    result = []
    for event in events:
        if event["status"] == IN_PROGRESS:
            if running is not None and not running(event["run_id"]):
                why = f"orphaned: run {event['run_id']} ended while this push was in progress"
            elif now - event["started_at"] > timeout:
                why = f"orphaned: still in progress {timeout} after it started"
            else:
                why = None
            if why:
                event = {**event, "status": FAILED, "completed_at": now, "updated": now, "error_message": why}
        result.append(event)
    return result


def upsert(events: list[dict], event: dict) -> list[dict]:
    """Events with `event` replacing the one with its id, or added."""
    return [e for e in events if e["id"] != event["id"]] + [event]


def to_frame(events: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(events, schema=SCHEMA) if events else pl.DataFrame(schema=SCHEMA)


def from_frame(df: pl.DataFrame) -> list[dict]:
    return [{key: row.get(key) for key in SCHEMA} for row in df.to_dicts()]


def event_metadata(event: dict) -> dict:
    """Dagster metadata values of one event, keyed by child playlist."""
    prefix = event["child_playlist"]
    shown = ("status", "strategy", "adds", "removes", "moves", "write_requests", "api_requests",
             "replace_requests", "requests_saved", "tracks_processed", "unpushable", "uncertain_writes")
    metadata = {f"{prefix}/{key}": event[key] for key in shown if event[key] is not None}
    if event["error_message"]:
        metadata[f"{prefix}/error"] = event["error_message"]
    return metadata


def plan_json(plan: Plan) -> dict:
    """A plan as JSON-able data: its summary and its steps."""
    return {**plan.summary(), "steps": [step_json(step) for step in plan.steps]}


def step_json(step) -> dict:
    kind = type(step).__name__.lower()
    data = dict(step.__dict__)
    if "uris" in data:
        data["uris"] = list(data["uris"])
    if "items" in data:
        data["items"] = [{"uri": uri, "positions": list(positions)} for uri, positions in data["items"]]
    return {"op": kind, **data}
