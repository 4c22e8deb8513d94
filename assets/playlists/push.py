"""Push child playlists to Spotify: the fewest safe writes, never a blind re-send, one sync event each.

The executor functions take any object with the Spotify resource's playlist methods, so they read
like the data flow and run the same against Spotify and the sandbox. The asset at the bottom wires
them to the warehouse and Dagster.
"""

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import dagster as dg
import polars as pl

from assets.automation import PUSH_WHEN_CHANGED
from assets.partitions import spotify_users
from assets.playlists.tracklists import TRACKLIST_ASSETS, TRACKLISTS_KEY
from assets.spotify.playlists import PLAYLISTS_KEY
from assets.spotify.parse import item_of
from assets.spotify.state import library_complete
from assets.tables import table_spec
from assets.playlists import sync_events as events
from assets.playlists.plan import (
    DEFAULT_MAX_REMOVE_SHARE,
    MAX_PLAYLIST_ITEMS,
    Add,
    Item,
    Move,
    Plan,
    PlanOptions,
    Remove,
    Replace,
    Step,
    guardrail,
    plan_push,
    split_parts,
)
from assets.progress import counted
from assets.spend import record_spend
from resources.spotify import SpotifyResource
from resources.spotify_errors import (
    SpotifyError,
    SpotifyNotFound,
    SpotifyRateLimited,
    SpotifyUnavailable,
    SpotifyWriteUncertain,
)
from resources.warehouse import Warehouse, polars_schema

MARKER = "· managed by mixtape"
MANAGED = "ops.managed_playlists"
TRACKLISTS = "marts.child_playlist_tracks"
SYNC_EVENTS_KEY = dg.AssetKey(["playlists", "sync_events"])
MANAGED_KEY = dg.AssetKey(["playlists", "managed_playlists"])
# Only what planning needs; `next` too, since paging follows it.
ITEM_FIELDS = "items(added_at,item(uri),track(uri)),next"
# Errors after which the playlist may or may not hold the write: re-read and re-plan, never re-send.
UNCERTAIN = (SpotifyWriteUncertain, SpotifyRateLimited, SpotifyUnavailable)
# What the API can add to a playlist; local files and anything else are left out of the push.
PUSHABLE_PREFIXES = ("spotify:track:", "spotify:episode:")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class PushPolicy:
    dry_run: bool = False
    force: bool = False
    rule_changed: bool = False
    verify: bool = False
    max_remove_share: float = DEFAULT_MAX_REMOVE_SHARE
    max_attempts: int = 3
    max_wait_s: float = 60.0
    plan_options: PlanOptions = PlanOptions()


@dataclass
class PartOutcome:
    playlist_id: str | None
    plan: Plan | None = None  # the first plan: what the push set out to do
    write_requests: int = 0
    attempts: int = 0
    skipped: bool = False  # nothing changed on either side since mixtape's last push
    snapshot_id: str | None = None
    plans: list[Plan] = field(default_factory=list)
    uncertain: int = 0  # write attempts whose answer was lost
    renamed: bool = False  # its name and description were set anew (one write besides the plan's)


class PushFailed(SpotifyError):
    """The playlist still differs from its tracklist after every allowed attempt."""


# --- reading ---------------------------------------------------------------------------------


def read_items(spotify, user: str, playlist_id: str) -> list[Item]:
    """Every entry of a playlist, in order; unavailable content has uri None."""
    items: list[Item] = []
    page = spotify.playlist_items_page(user, playlist_id, 0, fields=ITEM_FIELDS)
    while page:
        for entry in page["items"]:
            obj = item_of(entry)
            items.append(Item(obj.get("uri") if obj else None, entry.get("added_at")))
        page = spotify.next_page(user, page) if page.get("next") else None
    return items


def tracklist_hash(uris: list[str]) -> str:
    return hashlib.sha256("\n".join(uris).encode()).hexdigest()[:16]


# --- writing ---------------------------------------------------------------------------------


def send(spotify, user: str, playlist_id: str, step: Step) -> str | None:
    """One plan step as one request; returns the new snapshot id."""
    if isinstance(step, Add):
        return spotify.add_items(user, playlist_id, list(step.uris), position=step.position)
    if isinstance(step, Replace):
        return spotify.replace_items(user, playlist_id, list(step.uris))
    if isinstance(step, Remove):
        items = [{"uri": uri, "positions": list(positions)} for uri, positions in step.items]
        return spotify.remove_items(user, playlist_id, items)
    if isinstance(step, Move):
        return spotify.reorder_items(user, playlist_id, range_start=step.range_start,
                                     insert_before=step.insert_before, range_length=step.range_length)
    raise TypeError(step)


def wait_for(error: SpotifyError, policy: PushPolicy, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
    """Honour a short Retry-After before re-reading; a long one ends the push."""
    resume_at = getattr(error, "resume_at", None)
    if resume_at is None:
        return
    seconds = resume_at.replace(tzinfo=timezone.utc).timestamp() - clock()
    if seconds > policy.max_wait_s:
        raise error
    if seconds > 0:
        sleep(seconds)


class Journal:
    """What a push writes, kept as it goes: `intend` stores the plan durably before its first write
    (so a crash or a lost answer leaves a trace the next run of any stage sees and reads afresh), and
    every request sent is listed with its outcome (ok | uncertain | failed) for the sync event."""

    def __init__(self, intend: Callable[[Plan], None] = lambda plan: None):
        self._intend = intend
        self.applied: list[dict] = []

    def intend(self, plan: Plan) -> None:
        self._intend(plan)

    def sent(self, playlist_id: str, step: Step, outcome: str) -> None:
        self.applied.append({**events.step_json(step), "playlist_id": playlist_id, "outcome": outcome})

    def send(self, playlist_id: str, step: "Step | Rename", write: Callable[[], Any]) -> Any:
        """Send one write and list it with its outcome: applied (ok), perhaps applied (uncertain), not (failed)."""
        try:
            answer = write()
        except SpotifyWriteUncertain:
            self.sent(playlist_id, step, "uncertain")
            raise
        except SpotifyError:
            self.sent(playlist_id, step, "failed")
            raise
        self.sent(playlist_id, step, "ok")
        return answer


def push_part(spotify, user: str, playlist_id: str, target: list[str], policy: PushPolicy,
              log: Callable[[str], None] = print, clock: Callable[[], float] = time.time,
              sleep: Callable[[float], None] = time.sleep, known_items: list[Item] | None = None,
              journal: Journal | None = None) -> PartOutcome:
    """Read (unless `known_items` are the playlist as it stands), plan, write; after any uncertain
    write, read and plan again (bounded). The guardrail is the caller's (`push_child` judges the child
    playlist as a whole before any part is written)."""
    journal = journal or Journal()
    outcome = PartOutcome(playlist_id)
    last_error: SpotifyError | None = None
    for attempt in range(policy.max_attempts + 1):
        current = known_items if attempt == 0 and known_items is not None else read_items(spotify, user, playlist_id)
        plan = plan_push(current, target, policy.plan_options)
        outcome.plans.append(plan)
        if outcome.plan is None:
            outcome.plan = plan
            if policy.dry_run:
                return outcome
        if plan.requests == 0:
            return outcome
        if attempt == policy.max_attempts:
            break
        outcome.attempts += 1
        journal.intend(plan)  # durable before the first write: a crash from here on is seen by the next run
        try:
            for step in plan.steps:
                outcome.write_requests += 1
                outcome.snapshot_id = journal.send(playlist_id, step, lambda: send(spotify, user, playlist_id, step))
        except UNCERTAIN as error:
            last_error = error
            outcome.uncertain += 1
            log(f"{playlist_id}: write attempt {attempt + 1} uncertain ({type(error).__name__}); re-reading")
            outcome.snapshot_id = None
            wait_for(error, policy, clock, sleep)
            continue
        if not policy.verify:
            return outcome
    raise PushFailed(f"playlist {playlist_id} still differs from its tracklist after "
                     f"{policy.max_attempts} attempts; last error: {last_error}")


# --- managed playlists -----------------------------------------------------------------------


def part_name(child: str, part: int) -> str:
    return child if part == 1 else f"{child} ({part})"


def marker_of(user: str, child_id: str, part: int = 1) -> str:
    """The stable mark in a managed playlist's description: the user and the child playlist's id (and part)."""
    return f"[mixtape:{user}/{child_id}" + (f"#{part}" if part > 1 else "") + "]"


def describe(child: str, marker: str = "") -> str:
    return f"Built from the rule “{child}” {MARKER}" + (f" {marker}" if marker else "")


class CreateDeferred(SpotifyError):
    """The run's cap on newly created playlists is reached: this child playlist waits for the next run."""


@dataclass(frozen=True)
class Listing:
    """The user's /me/playlists as ingestion last read it: snapshot ids by playlist, the managed
    markers found in descriptions, and when it was read."""

    snapshots: dict[str, str]
    fetched_at: datetime | None
    marked: dict[str, str] = field(default_factory=dict)  # marker -> playlist id (the user's own playlists)

    def snapshot_since(self, known: dict) -> str | None:
        """The listed snapshot of a managed playlist when the listing is newer than mixtape's last push
        and than its last attempt; never while a write of that attempt is uncertain."""
        pushed_at = known.get("pushed_at")
        if self.fetched_at is None or pushed_at is None or self.fetched_at <= pushed_at or known.get("intent"):
            return None
        attempted = known.get("intent_at")
        if attempted is not None and self.fetched_at <= attempted:
            return None
        return self.snapshots.get(known["playlist_id"])

    def adoptable(self, marker: str, gone: set[str]) -> tuple[str, str | None] | None:
        playlist_id = self.marked.get(marker)
        if playlist_id is None or playlist_id in gone:
            return None
        return playlist_id, self.snapshots.get(playlist_id)


NO_LISTING = Listing({}, None)


def listing_of(playlists: list[dict], user: str, fetched_at: datetime | None) -> Listing:
    """A Listing from raw.playlists rows (or playlist objects of /me/playlists)."""
    snapshots, marked = {}, {}
    for row in playlists:
        playlist_id = row.get("playlist_id") or row.get("id")
        owner = row.get("owner_id") or (row.get("owner") or {}).get("id")
        snapshots[playlist_id] = row.get("snapshot_id")
        description = row.get("description") or ""
        if owner == user and "[mixtape:" in description:
            start = description.index("[mixtape:")
            marked.setdefault(description[start:description.index("]", start) + 1], playlist_id)
    return Listing(snapshots, fetched_at, marked)


def fresh_listing(spotify, user: str, now: datetime) -> Listing:
    """/me/playlists read now: only after a create whose answer never came back."""
    objects = []
    page = spotify.my_playlists_page(user, 0)
    while page:
        objects += [o for o in page["items"] if o]
        page = spotify.next_page(user, page) if page.get("next") else None
    return listing_of(objects, user, now)


def managed_playlist(spotify, user: str, child: str, part: int, known: dict | None,
                     dry_run: bool, listing: Listing = NO_LISTING,
                     may_create: Callable[[], None] = lambda: None,
                     creating: Callable[[str], None] = lambda marker: None,
                     child_id: str | None = None) -> tuple[str | None, str | None, str]:
    """The id of the child playlist's part on Spotify and its current snapshot: the recorded one if
    it still exists; else the user's playlist carrying its marker (adopted: the warehouse was lost or
    the recorded playlist answers 404); else a new playlist (none in a dry run). Never adopts a
    playlist by name. A listing read after the last push already holds the snapshot, so no request is
    needed then. The third value says how it was found: known | adopted | created | none.
    `may_create` raises CreateDeferred past the run's cap; `creating` stores the intent
    to create durably before the request, so a lost answer is found again by its marker."""
    marker = (known or {}).get("marker") or marker_of(user, child_id or child, part)
    gone: set[str] = set()
    if known is not None and known.get("playlist_id"):
        listed = listing.snapshot_since(known)
        if listed is not None:
            return known["playlist_id"], listed, "known"
        try:
            meta = spotify.playlist(user, known["playlist_id"], fields="id,snapshot_id")
            return known["playlist_id"], meta.get("snapshot_id"), "known"
        except SpotifyNotFound:
            gone.add(known["playlist_id"])  # the user deleted it: adopt another with the marker, or make one
    if known is not None and (known.get("intent") or "").startswith('{"op": "create"'):
        listing = fresh_listing(spotify, user, utcnow())  # the create may have landed: look before making another
    adopted = listing.adoptable(marker, gone)
    if adopted is not None:
        return adopted[0], None, "adopted"  # its items are read before planning: the listing may be old
    if dry_run:
        return None, None, "none"
    may_create()
    creating(marker)
    created = spotify.create_playlist(user, part_name(child, part), describe(child, marker), public=False)
    return created["id"], created.get("snapshot_id"), "created"


def managed_row(user: str, child: str, child_id: str, part: int, playlist_id: str, known: dict | None,
                now: datetime, **fields) -> dict:
    """A managed playlist's row: `known` updated when it is the same playlist, else a new one. `name` stays
    what mixtape last set on Spotify (a rename sets it); `child_playlist` is the rule's name now."""
    same = known is not None and known["playlist_id"] == playlist_id
    row = dict(known) if same else {"user_id": user, "child_id": child_id, "part": part, "playlist_id": playlist_id,
                                    "name": part_name(child, part), "created_at": now, "rule_hash": None,
                                    "tracklist_hash": None, "tracklist": None, "snapshot_id": None,
                                    "pushed_at": None, "marker": marker_of(user, child_id, part), "intent": None,
                                    "intent_at": None}
    return {**row, "child_playlist": child, "child_id": child_id, **fields}


def outdated_details(user: str, child: str, child_id: str, part: int, known: dict) -> bool:
    """The rule was renamed or given an id since mixtape last named the playlist (or, made before markers,
    it carries none): its name and description are set again."""
    return (known.get("name"), known.get("marker")) != (part_name(child, part), marker_of(user, child_id, part))


@dataclass(frozen=True)
class Rename:
    """One PUT of a playlist's details: its name and its description with the marker."""

    name: str
    marker: str


def rename(spotify, user: str, child: str, child_id: str, part: int, playlist_id: str, journal: Journal) -> Rename:
    """Name the playlist after the rule and mark it with the rule's id. Idempotent, so an uncertain answer
    fails this push (the row keeps the old name) and the next push sends it again."""
    step = Rename(part_name(child, part), marker_of(user, child_id, part))
    journal.send(playlist_id, step, lambda: spotify.change_details(user, playlist_id, step.name, describe(child, step.marker)))
    return step


def untouched_since_last_push(known: dict | None, playlist_id: str | None, snapshot: str | None) -> bool:
    """Nobody wrote to the playlist since mixtape's last push, and no write of mixtape's own is
    uncertain: it still holds what was pushed."""
    return bool(known and snapshot and playlist_id == known["playlist_id"] and snapshot == known.get("snapshot_id")
                and known.get("tracklist") is not None and not known.get("intent"))


def last_pushed_items(known: dict) -> list[Item]:
    return [Item(uri) for uri in json.loads(known["tracklist"])]


def pushable(uri: str | None) -> bool:
    return bool(uri) and uri.startswith(PUSHABLE_PREFIXES)


@dataclass
class ChildResult:
    event: dict
    rows: dict[int, dict]  # managed playlist rows by part, after the push
    outcomes: list[PartOutcome]


@dataclass(frozen=True)
class FoundPart:
    """One part of a child playlist as found on Spotify, before anything is written to it."""

    part: int
    target: list[str]
    playlist_id: str | None  # None: a dry run of a part not created yet
    snapshot: str | None
    current: list[Item]  # what it holds now: read, or known without a request
    renamed: bool = False
    unchanged: bool = False  # untouched since mixtape's last push, which pushed this very target


def push_child(spotify, user: str, child: str, tracks: list[str], managed: dict[int, dict],
               policy: PushPolicy, rule_hash: str | None, limit_mode: str, event: dict,
               record: Callable[[dict[int, dict]], None] = lambda rows: None,
               log: Callable[[str], None] = print, now: Callable[[], datetime] = utcnow,
               limit: int = MAX_PLAYLIST_ITEMS, clock: Callable[[], float] = time.time,
               sleep: Callable[[float], None] = time.sleep, listing: Listing = NO_LISTING,
               journal: Journal | None = None, may_create: Callable[[], None] = lambda: None,
               child_id: str | None = None) -> ChildResult:
    """Push one child playlist, all its parts; parts no longer needed are emptied. Every part is found
    and its contents known first, so the guardrail judges the child playlist as a whole (what all its
    parts hold against its whole tracklist) before any part is written: splitting never lets a shrink of
    its inputs through part by part. It judges once, before the first write: a re-plan after an uncertain
    write continues a change already allowed, and since removals precede additions in every plan, it
    never drops an entry the first plan kept.

    Tracks that cannot be pushed (local files, anything not a Spotify uri) are left out and counted.
    `record` stores managed rows as soon as anything changes (a playlist created or adopted, a write
    about to be sent), so a push that dies later never leaves a playlist mixtape has forgotten or a
    state it would trust wrongly. A playlist found under its recorded id whose name or marker no longer
    matches the rule (`child_id`, default the name) is renamed first."""
    journal = journal or Journal()
    child_id = child_id or child
    spendable = [uri for uri in tracks if pushable(uri)]
    unpushable = len(tracks) - len(spendable)
    if unpushable:
        log(f"{child}: {unpushable} tracks left out of the push (local files or not Spotify tracks)")
    parts = split_parts(spendable, limit_mode, limit)
    if parts.warning:
        log(f"{child}: {parts.warning}")
    targets = parts.parts + [[] for _ in range(len(parts.parts), max(managed, default=0))]
    rows = dict(managed)
    found = []
    for part, target in enumerate(targets, start=1):
        known = rows.get(part)

        def creating(marker: str, part=part) -> None:
            rows[part] = {**managed_row(user, child, child_id, part, "", None, now()), "marker": marker,
                          "intent": json.dumps({"op": "create", "marker": marker}), "intent_at": now()}
            record(rows)

        playlist_id, snapshot, how = managed_playlist(spotify, user, child, part, known, policy.dry_run, listing,
                                                      may_create, creating if not policy.dry_run else lambda m: None,
                                                      child_id)
        renamed = how == "known" and outdated_details(user, child, child_id, part, known)
        if renamed and policy.dry_run:
            log(f"{child} part {part}: would rename {known.get('name')!r} to {part_name(child, part)!r}")
        elif renamed:
            step = rename(spotify, user, child, child_id, part, playlist_id, journal)
            rows[part] = known = managed_row(user, child, child_id, part, playlist_id, known, now(),
                                             name=step.name, marker=step.marker)
            record(rows)
        if how in ("adopted", "created") and not policy.dry_run:
            base = rows.get(part) if how == "adopted" and rows.get(part, {}).get("playlist_id") else None
            rows[part] = {**managed_row(user, child, child_id, part, playlist_id, base, now()), "intent": None,
                          "intent_at": None}
            record(rows)
        untouched = how == "known" and untouched_since_last_push(known, playlist_id, snapshot)
        # a playlist just created (or not yet, in a dry run) is empty, one untouched since the last push
        # holds what was pushed: neither needs reading
        current = ([] if how in ("created", "none") else last_pushed_items(known) if untouched
                   else read_items(spotify, user, playlist_id))
        found.append(FoundPart(part, target, playlist_id, snapshot, current, renamed,
                               unchanged=untouched and tracklist_hash(target) == known.get("tracklist_hash")))
    refused = guardrail([item.uri for f in found for item in f.current], [uri for t in targets for uri in t],
                        policy.max_remove_share, policy.rule_changed, policy.force)
    if refused:
        log(f"{child}: {refused}")
    outcomes = [write_part(spotify, user, child, child_id, f, rows, policy, refused, rule_hash, record, journal,
                           log, now, clock, sleep) for f in found]
    event = {**event, "unpushable": unpushable}
    event = finish(event, outcomes, policy, sum(map(len, parts.parts)), now(), refused)
    return ChildResult(events.record_applied(event, journal.applied) if not policy.dry_run else event, rows, outcomes)


def write_part(spotify, user: str, child: str, child_id: str, found: FoundPart, rows: dict[int, dict],
               policy: PushPolicy, refused: str | None, rule_hash: str | None,
               record: Callable[[dict[int, dict]], None], journal: Journal, log: Callable[[str], None],
               now: Callable[[], datetime], clock: Callable[[], float], sleep: Callable[[float], None]) -> PartOutcome:
    """Make one found part equal its target (plan only when the child playlist was refused, in a dry run,
    or for a part not created yet) and update its managed row with what was pushed."""
    part, target, playlist_id = found.part, found.target, found.playlist_id
    if found.unchanged:
        return PartOutcome(playlist_id, plan=plan_push(found.current, target, policy.plan_options), skipped=True,
                           snapshot_id=found.snapshot, renamed=found.renamed)
    if refused or playlist_id is None:
        outcome = PartOutcome(playlist_id, plan=plan_push(found.current, target, policy.plan_options),
                              renamed=found.renamed)
    else:
        def intend(plan: Plan) -> None:
            rows[part] = managed_row(user, child, child_id, part, playlist_id, rows[part], now(),
                                     snapshot_id=None, intent=json.dumps({"op": "push", "steps": len(plan.steps),
                                                                          "target": tracklist_hash(target)}),
                                     intent_at=now())
            record(rows)

        journal._intend = intend if not policy.dry_run else (lambda plan: None)
        outcome = replace(push_part(spotify, user, playlist_id, target, policy, log, clock, sleep,
                                    known_items=found.current, journal=journal), renamed=found.renamed)
    log(f"{child} part {part}: {json.dumps(outcome.plan.summary())}")
    if playlist_id is not None and not policy.dry_run and not refused:
        # the snapshot of what was pushed: the last write's, or (nothing written) the one read first
        pushed_snapshot = outcome.snapshot_id if outcome.write_requests else found.snapshot
        rows[part] = managed_row(user, child, child_id, part, playlist_id, rows.get(part), now(),
                                 rule_hash=rule_hash, tracklist_hash=tracklist_hash(target),
                                 tracklist=json.dumps(target), snapshot_id=pushed_snapshot, pushed_at=now(),
                                 intent=None, intent_at=None)
    return outcome


def finish(event: dict, outcomes: list[PartOutcome], policy: PushPolicy, tracks: int, now: datetime,
           refused: str | None) -> dict:
    event = events.record_plans(event, [o.plan for o in outcomes if o.plan is not None])
    if refused:
        status, error = events.FAILED, refused
    elif policy.dry_run or all(o.skipped and not o.renamed for o in outcomes):
        status, error = events.SKIPPED, "dry run: nothing written" if policy.dry_run else None
    else:
        status, error = events.COMPLETED, None
    writes = sum(o.write_requests + (o.renamed and not policy.dry_run) for o in outcomes)
    return events.finish_event(event, status, now, playlist_ids=[o.playlist_id for o in outcomes if o.playlist_id],
                               tracks=tracks, write_requests=writes, error=error)


# --- the asset -------------------------------------------------------------------------------


class PushConfig(dg.Config):
    dry_run: bool = False  # plan, store and print; write nothing
    force: list[str] = []  # child playlists allowed past the removal guardrail ("*": all)
    verify: bool = False  # read each playlist again after writing it (costs a full read)
    max_remove_share: float = DEFAULT_MAX_REMOVE_SHARE
    limit_mode: str = "split"  # over 10,000 tracks: "split" into numbered parts or "truncate"
    max_attempts: int = 3
    max_wait_s: float = 60.0  # longest Retry-After waited out before giving up
    only: list[str] = []  # child playlists to push (default: all)
    push_partial: bool = False  # push even while the user's library is still being synced
    max_created_per_run: int = 20  # new Spotify playlists one run may create; the rest wait for the next run


def tracklists(df: pl.DataFrame, summary: pl.DataFrame | None = None) -> dict[str, dict]:
    """Per child playlist: its uris in order, its rule hash, id and source when known, and its status.

    `summary` (marts.child_playlists: one row per child playlist, empty ones included) names every
    child playlist, its id and its rule hash; without it, the children with tracks are all there is."""
    result = {}
    for (child,), rows in df.sort("child_playlist", "position").group_by("child_playlist", maintain_order=True):
        result[child] = {
            "uris": rows["track_uri"].to_list(),
            "rule_hash": rows["rule_hash"][0] if "rule_hash" in rows.columns else None,
            "base_source": rows["base_source"][0] if "base_source" in rows.columns else None,
            "status": "built",
        }
    if summary is not None and summary.height:
        known = result
        result = {}
        for row in summary.sort("child_playlist").to_dicts():
            entry = known.get(row["child_playlist"], {"uris": [], "base_source": None})
            result[row["child_playlist"]] = {**entry, "rule_hash": row["rule_hash"] or entry.get("rule_hash"),
                                             "child_id": row.get("child_id"), "status": row["status"],
                                             "reason": row.get("reason")}
    return result


class SyncStore:
    """One user's sync events and managed playlists, read once per run. One sync per user runs at a
    time (run tag limit), so this copy stays true while the run lasts; each change is written at once."""

    def __init__(self, warehouse, user: str):
        self.warehouse, self.user = warehouse, user
        self.events = events.from_frame(warehouse.read(events.TABLE, user_id=user))
        stored = warehouse.read(MANAGED, user_id=user)
        self.managed_schema = polars_schema(MANAGED)
        self.managed = [{key: row.get(key) for key in self.managed_schema} for row in stored.to_dicts()]
        listed = warehouse.read("raw.playlists", user_id=user)
        self.listing = listing_of(listed.to_dicts(), user, listed["fetched_at"].max() if listed.height else None)

    def close_orphans(self, run_id: str | None, now: datetime,
                      running: Callable[[str | None], bool] | None = None, limit: int = MAX_PLAYLIST_ITEMS) -> list[dict]:
        """Mark failed the in_progress events of runs no longer running. One push per user runs at a
        time, so without a better witness any other run's in_progress event is an orphan."""
        alive = running or (lambda other: other == run_id)
        before = {e["id"]: e["status"] for e in self.events}
        self.events = events.fail_orphans(self.events, now, lambda other: other == run_id or alive(other))
        closed = [e for e in self.events if before[e["id"]] != e["status"]]
        if closed:
            self._write_events()
        return closed

    def start(self, child: str, base_source: str | None, run_id: str | None, dry_run: bool, now: datetime) -> dict:
        """Record this push as in progress."""
        event = events.start_event(self.user, child, now, base_source, run_id, dry_run)
        self.events = self.events + [event]
        self._write_events()
        return event

    def save_event(self, event: dict) -> None:
        self.events = events.upsert(self.events, event)
        self._write_events()

    def _write_events(self) -> None:
        self.warehouse.replace_partition(events.TABLE, self.user, events.to_frame(self.events))

    def managed_parts(self, child_id: str) -> dict[int, dict]:
        return {row["part"]: row for row in self.managed if row["child_id"] == child_id}

    def save_managed(self, child_ids: set[str], rows: dict[int, dict]) -> None:
        """Make `rows` the managed playlists of one child playlist, in place of those recorded under `child_ids`."""
        self.managed = [r for r in self.managed if r["child_id"] not in child_ids] + list(rows.values())
        self.warehouse.replace_partition(MANAGED, self.user, pl.DataFrame(self.managed, schema=self.managed_schema))


def forced(config: PushConfig, child: str) -> bool:
    return "*" in config.force or child in config.force


def push_user(spotify, warehouse, user: str, wanted: dict[str, dict], config: PushConfig,
              run_id: str | None = None, log: Callable[[str], None] = print,
              clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
              now: Callable[[], datetime] = utcnow, warn: Callable[[str], None] | None = None,
              running: Callable[[str | None], bool] | None = None, limit: int = MAX_PLAYLIST_ITEMS) -> list[dict]:
    """Push every child playlist of one user (`wanted`: as `tracklists` gives them); one sync event
    each. Returns the events. `running(run_id)` tells whether another run is still alive (the Dagster
    instance's run status); the in_progress events of dead runs are closed first."""
    warn = warn or log
    store = SyncStore(warehouse, user)
    for orphan in store.close_orphans(run_id, now(), running):
        warn(f"{orphan['child_playlist']}: {orphan['error_message']}")
    created = 0

    def may_create() -> None:
        nonlocal created
        if created >= config.max_created_per_run:
            raise CreateDeferred(f"{config.max_created_per_run} playlists created in this run already "
                                 "(max_created_per_run): deferred to the next run")
        created += 1

    finished = []
    ids = wanted_ids(wanted)
    for child, tracklist in counted(wanted.items(), f"push of {user}", "playlists", log):
        if config.only and child not in config.only:
            continue
        if tracklist.get("status") == "invalid":
            warn(f"{child}: rule invalid, playlist left as it is: {tracklist.get('reason')}")
            continue
        child_id = id_of(child, tracklist)
        known = store.managed_parts(child_id)
        if not known and child_id != child and child not in ids:
            known = store.managed_parts(child)  # the rule was just given an id: it keeps its playlist
        recorded_under = {child_id} | {row["child_id"] for row in known.values()}
        # any part last pushed under another rule: a push of a changed rule that stopped half-way continues
        recorded = {row["rule_hash"] for row in known.values() if row.get("rule_hash")}
        rule_changed = bool(tracklist["rule_hash"] and recorded - {tracklist["rule_hash"]})
        policy = PushPolicy(
            dry_run=config.dry_run, force=forced(config, child), verify=config.verify,
            max_remove_share=config.max_remove_share, max_attempts=config.max_attempts, max_wait_s=config.max_wait_s,
            rule_changed=rule_changed,
        )
        event = store.start(child, tracklist["base_source"], run_id, config.dry_run, now())
        spent_before = sum(spotify.requests_spent(user).values())
        journal = Journal()
        try:
            result = push_child(spotify, user, child, tracklist["uris"], known, policy, tracklist["rule_hash"],
                                config.limit_mode, event, lambda rows: store.save_managed(recorded_under, rows), log,
                                now=now, clock=clock, sleep=sleep, listing=store.listing, journal=journal,
                                may_create=may_create, limit=limit, child_id=child_id)
            event = result.event
            if not config.dry_run and result.rows != store.managed_parts(child_id):
                store.save_managed(recorded_under, result.rows)
        except CreateDeferred as deferred:
            event = events.finish_event(event, events.SKIPPED, now(), error=f"deferred: {deferred}")
            warn(f"{child}: {deferred}")
        except Exception as error:  # one failing child playlist never stops the others; the event says why
            event = events.finish_event(event, events.FAILED, now(), error=f"{type(error).__name__}: {error}")
            event = events.record_applied(event, journal.applied)
        if event["status"] == events.FAILED:
            empty = not tracklist["uris"]
            warn(f"{child}: push failed" + (" (its rule now matches nothing)" if empty else "")
                 + f": {event['error_message']}")
        event = {**event, "api_requests": sum(spotify.requests_spent(user).values()) - spent_before}
        store.save_event(event)
        finished.append(event)
    for child in orphans(store.managed, wanted):
        warn(f"{child}: its rule is gone; its Spotify playlist is left as it is (orphaned, never deleted)")
    return finished


def id_of(child: str, tracklist: dict) -> str:
    """The child playlist's id (from marts.child_playlists); its name when none is recorded."""
    return tracklist.get("child_id") or child


def wanted_ids(wanted: dict[str, dict]) -> set[str]:
    return {id_of(child, tracklist) for child, tracklist in wanted.items()}


def orphans(managed: list[dict], wanted: dict[str, dict]) -> list[str]:
    """Managed child playlists (by their last name) that no rule claims any more, by its id or (a rule just
    given an id) by its name: left alone on Spotify, reported. A rule renamed without an id has a new id
    (its new name), so its old playlist is one of them."""
    claimed = wanted_ids(wanted) | set(wanted)
    return sorted({row["child_playlist"] for row in managed if row["child_id"] not in claimed})


def orphaned_children(warehouse, user: str, wanted: dict[str, dict]) -> list[str]:
    """Managed child playlists whose rule is gone: left alone on Spotify, reported."""
    return orphans(warehouse.read(MANAGED, user_id=user).to_dicts(), wanted)


CHILD_PLAYLISTS_KEY = dg.AssetKey(["playlists", "child_playlists"])
CHILD_PLAYLISTS = "marts.child_playlists"  # one row per child playlist, empty ones included, with its rule hash
# the summary's asset comes with the rules side; depend on it once it is defined
_SUMMARY_DEPS = [CHILD_PLAYLISTS_KEY] if any(CHILD_PLAYLISTS_KEY in a.keys for a in TRACKLIST_ASSETS) else []
_PUSH_SPEC = dict(kinds={"spotify"}, deps=[TRACKLISTS_KEY, PLAYLISTS_KEY, *_SUMMARY_DEPS],
                  automation_condition=PUSH_WHEN_CHANGED)

LIVE_RUN_STATUSES = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                     dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING}


def run_is_live(instance: dg.DagsterInstance) -> Callable[[str | None], bool]:
    """Whether a run is still running, by the instance's run status (unknown runs are not)."""
    def running(run_id: str | None) -> bool:
        run = instance.get_run_by_id(run_id) if run_id else None
        return run is not None and run.status in LIVE_RUN_STATUSES
    return running


@dg.multi_asset(
    specs=[
        table_spec(SYNC_EVENTS_KEY.path, events.TABLE, "One sync event per push of a child playlist: status, "
                   "strategy, adds, removes, moves, requests.", **_PUSH_SPEC),
        table_spec(MANAGED_KEY.path, MANAGED, "The Spotify playlists mixtape created for each child playlist, with "
                   "what it last pushed to them.", **_PUSH_SPEC),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def push_playlists(context: dg.AssetExecutionContext, config: PushConfig, spotify: SpotifyResource,
                   warehouse: Warehouse) -> Iterator[dg.MaterializeResult]:
    """Makes each managed Spotify playlist equal its child-playlist tracklist with the fewest writes."""
    user = context.partition_key
    if not config.push_partial and not library_complete(warehouse, user):
        # a half-synced library would make every rule see too few tracks and shrink its playlist
        context.log.warning(f"{user}'s library is still being synced: nothing pushed until it is complete")
        yield dg.MaterializeResult(asset_key=SYNC_EVENTS_KEY, metadata={"skipped": "library sync incomplete"})
        yield dg.MaterializeResult(asset_key=MANAGED_KEY, metadata={"skipped": "library sync incomplete"})
        return
    wanted = tracklists(warehouse.read(TRACKLISTS, user_id=user), warehouse.read(CHILD_PLAYLISTS, user_id=user))
    clock = spotify.time_source
    orphaned = orphaned_children(warehouse, user, wanted)
    finished = push_user(spotify, warehouse, user, wanted, config, context.run.run_id, context.log.info,
                         clock=clock.time, sleep=clock.sleep, now=clock.now, warn=context.log.warning,
                         running=run_is_live(context.instance))
    metadata: dict = {
        "pushed": len(finished),
        "write_requests": sum(e["write_requests"] for e in finished),
        "requests_saved": sum(e["requests_saved"] for e in finished),
        "failed": [e["child_playlist"] for e in finished if e["status"] == events.FAILED],
        "dry_run": config.dry_run,
        "orphaned": orphaned,
        "deferred": [e["child_playlist"] for e in finished if (e["error_message"] or "").startswith("deferred")],
        "unpushable": sum(e["unpushable"] or 0 for e in finished),
        **record_spend(context, spotify.ledger),
    }
    for event in finished:
        metadata.update(events.event_metadata(event))
    if metadata["failed"]:
        raise dg.Failure(f"push failed or was refused for: {', '.join(metadata['failed'])}", metadata=metadata)
    yield dg.MaterializeResult(asset_key=SYNC_EVENTS_KEY, metadata=metadata)
    yield dg.MaterializeResult(asset_key=MANAGED_KEY, metadata={
        "dagster/row_count": warehouse.query(f"select count(*) from {MANAGED} where user_id = ?", [user]).item()})
