"""Push child playlists to Spotify: the fewest safe writes, never a blind re-send, one sync event each.

The executor functions take any object with the Spotify resource's playlist methods, so they read
like the data flow and run the same against Spotify and the sandbox. The asset at the bottom wires
them to the warehouse and Dagster.
"""

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import dagster as dg
import polars as pl

from assets.automation import PUSH_WHEN_CHANGED
from assets.partitions import spotify_users
from assets.playlists.tracklists import TRACKLISTS_KEY
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
    refused: str | None = None
    skipped: bool = False  # nothing changed on either side since mixtape's last push
    snapshot_id: str | None = None
    plans: list[Plan] = field(default_factory=list)


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


def push_part(spotify, user: str, playlist_id: str, target: list[str], policy: PushPolicy,
              log: Callable[[str], None] = print, clock: Callable[[], float] = time.time,
              sleep: Callable[[float], None] = time.sleep, known_items: list[Item] | None = None) -> PartOutcome:
    """Read (unless `known_items` are the playlist as it stands), plan, write; after any uncertain
    write, read and plan again (bounded).

    The guardrail judges the first plan only: later plans continue a change already allowed, and
    since removals precede additions in every plan, a re-plan never drops an entry the first kept.
    """
    outcome = PartOutcome(playlist_id)
    last_error: SpotifyError | None = None
    for attempt in range(policy.max_attempts + 1):
        current = known_items if attempt == 0 and known_items is not None else read_items(spotify, user, playlist_id)
        plan = plan_push(current, target, policy.plan_options)
        outcome.plans.append(plan)
        if outcome.plan is None:
            outcome.plan = plan
            outcome.refused = guardrail(plan, len(current), policy.max_remove_share, policy.rule_changed, policy.force)
            if outcome.refused or policy.dry_run:
                return outcome
        if plan.requests == 0:
            return outcome
        if attempt == policy.max_attempts:
            break
        outcome.attempts += 1
        try:
            for step in plan.steps:
                outcome.write_requests += 1
                outcome.snapshot_id = send(spotify, user, playlist_id, step)
        except UNCERTAIN as error:
            last_error = error
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


def describe(child: str) -> str:
    return f"Built from the rule “{child}” {MARKER}"


@dataclass(frozen=True)
class Listing:
    """The user's /me/playlists as ingestion last read it: snapshot ids by playlist, and when."""

    snapshots: dict[str, str]
    fetched_at: datetime | None

    def snapshot_since(self, known: dict) -> str | None:
        """The listed snapshot of a managed playlist when the listing is newer than mixtape's last push."""
        pushed_at = known.get("pushed_at")
        if self.fetched_at is None or pushed_at is None or self.fetched_at <= pushed_at:
            return None
        return self.snapshots.get(known["playlist_id"])


NO_LISTING = Listing({}, None)


def managed_playlist(spotify, user: str, child: str, part: int, known: dict | None,
                     dry_run: bool, listing: Listing = NO_LISTING) -> tuple[str | None, str | None]:
    """The id of the child playlist's part on Spotify and its current snapshot: the recorded one if
    it still exists, else a new playlist (none in a dry run). Never adopts a playlist by name. A
    listing read after the last push already holds the snapshot, so no request is needed then."""
    if known is not None:
        listed = listing.snapshot_since(known)
        if listed is not None:
            return known["playlist_id"], listed
        try:
            meta = spotify.playlist(user, known["playlist_id"], fields="id,snapshot_id")
            return known["playlist_id"], meta.get("snapshot_id")
        except SpotifyNotFound:
            pass  # the user deleted it: make a new one
    if dry_run:
        return None, None
    created = spotify.create_playlist(user, part_name(child, part), describe(child), public=False)
    return created["id"], created.get("snapshot_id")


def managed_row(user: str, child: str, part: int, playlist_id: str, known: dict | None, now: datetime,
                **fields) -> dict:
    same = known is not None and known["playlist_id"] == playlist_id
    row = dict(known) if same else {"user_id": user, "child_playlist": child, "part": part, "playlist_id": playlist_id,
                                    "name": part_name(child, part), "created_at": now, "rule_hash": None,
                                    "tracklist_hash": None, "tracklist": None, "snapshot_id": None,
                                    "pushed_at": None}
    return {**row, **fields}


def untouched_since_last_push(known: dict | None, playlist_id: str | None, snapshot: str | None) -> bool:
    """Nobody wrote to the playlist since mixtape's last push: it still holds what was pushed."""
    return bool(known and snapshot and playlist_id == known["playlist_id"] and snapshot == known.get("snapshot_id")
                and known.get("tracklist") is not None)


def last_pushed_items(known: dict) -> list[Item]:
    return [Item(uri) for uri in json.loads(known["tracklist"])]


@dataclass
class ChildResult:
    event: dict
    rows: dict[int, dict]  # managed playlist rows by part, after the push
    outcomes: list[PartOutcome]


def push_child(spotify, user: str, child: str, tracks: list[str], managed: dict[int, dict],
               policy: PushPolicy, rule_hash: str | None, limit_mode: str, event: dict,
               record: Callable[[dict[int, dict]], None] = lambda rows: None,
               log: Callable[[str], None] = print, now: Callable[[], datetime] = utcnow,
               limit: int = MAX_PLAYLIST_ITEMS, clock: Callable[[], float] = time.time,
               sleep: Callable[[float], None] = time.sleep, listing: Listing = NO_LISTING) -> ChildResult:
    """Push one child playlist, all its parts; parts no longer needed are emptied (guardrail
    permitting). `record` stores managed rows as soon as a playlist is created, so a push that dies
    later never leaves a playlist mixtape has forgotten."""
    parts = split_parts(tracks, limit_mode, limit)
    if parts.warning:
        log(f"{child}: {parts.warning}")
    targets = parts.parts + [[] for _ in range(len(parts.parts), max(managed, default=0))]
    rows, outcomes = dict(managed), []
    for part, target in enumerate(targets, start=1):
        known = managed.get(part)
        playlist_id, snapshot = managed_playlist(spotify, user, child, part, known, policy.dry_run, listing)
        digest = tracklist_hash(target)
        untouched = untouched_since_last_push(known, playlist_id, snapshot)
        if untouched and digest == known.get("tracklist_hash"):
            unchanged = plan_push([Item(uri) for uri in target], target, policy.plan_options)
            outcomes.append(PartOutcome(playlist_id, plan=unchanged, skipped=True, snapshot_id=snapshot))
            continue
        if playlist_id is None:  # dry run of a playlist not created yet
            outcomes.append(PartOutcome(None, plan=plan_push([], target, policy.plan_options)))
        else:
            created = known is None or known["playlist_id"] != playlist_id
            if created:
                rows[part] = managed_row(user, child, part, playlist_id, known, now())
                record(rows)
            # a playlist just created is empty, one untouched since the last push holds what was pushed:
            # neither needs reading
            current = [] if created else last_pushed_items(known) if untouched else None
            outcomes.append(push_part(spotify, user, playlist_id, target, policy, log, clock, sleep,
                                      known_items=current))
        outcome = outcomes[-1]
        log(f"{child} part {part}: {json.dumps(outcome.plan.summary())}"
            + (f"; refused: {outcome.refused}" if outcome.refused else ""))
        if playlist_id is not None and not policy.dry_run and not outcome.refused:
            # the snapshot of what was pushed: the last write's, or (nothing written) the one read first
            pushed_snapshot = outcome.snapshot_id if outcome.write_requests else snapshot
            rows[part] = managed_row(user, child, part, playlist_id, known, now(), rule_hash=rule_hash,
                                     tracklist_hash=digest, tracklist=json.dumps(target),
                                     snapshot_id=pushed_snapshot, pushed_at=now())
    return ChildResult(finish(event, outcomes, policy, sum(map(len, parts.parts)), now()), rows, outcomes)


def finish(event: dict, outcomes: list[PartOutcome], policy: PushPolicy, tracks: int, now: datetime) -> dict:
    event = events.record_plans(event, [o.plan for o in outcomes if o.plan is not None])
    refusals = [o.refused for o in outcomes if o.refused]
    if refusals:
        status, error = events.FAILED, "; ".join(refusals)
    elif policy.dry_run or all(o.skipped for o in outcomes):
        status, error = events.SKIPPED, "dry run: nothing written" if policy.dry_run else None
    else:
        status, error = events.COMPLETED, None
    return events.finish_event(event, status, now, playlist_ids=[o.playlist_id for o in outcomes if o.playlist_id],
                               tracks=tracks, write_requests=sum(o.write_requests for o in outcomes), error=error)


# --- the asset -------------------------------------------------------------------------------


class PushConfig(dg.Config):
    dry_run: bool = False  # plan, store and print; write nothing
    force: bool = False  # allow plans past the removal guardrail
    verify: bool = False  # read each playlist again after writing it (costs a full read)
    max_remove_share: float = DEFAULT_MAX_REMOVE_SHARE
    limit_mode: str = "split"  # over 10,000 tracks: "split" into numbered parts or "truncate"
    max_attempts: int = 3
    max_wait_s: float = 60.0  # longest Retry-After waited out before giving up
    only: list[str] = []  # child playlists to push (default: all)
    push_partial: bool = False  # push even while the user's library is still being synced


def tracklists(df: pl.DataFrame) -> dict[str, dict]:
    """Per child playlist: its uris in order, and its rule hash and source when the mart has them."""
    result = {}
    for (child,), rows in df.sort("child_playlist", "position").group_by("child_playlist", maintain_order=True):
        result[child] = {
            "uris": rows["track_uri"].to_list(),
            "rule_hash": rows["rule_hash"][0] if "rule_hash" in rows.columns else None,
            "base_source": rows["base_source"][0] if "base_source" in rows.columns else None,
        }
    return result


class SyncStore:
    """One user's sync events and managed playlists, read once per run. One sync per user runs at a
    time (run tag limit), so this copy stays true while the run lasts; each change is written at once."""

    def __init__(self, warehouse, user: str):
        self.warehouse, self.user = warehouse, user
        self.events = events.from_frame(warehouse.read(events.TABLE, user_id=user))
        stored = warehouse.read(MANAGED, user_id=user)
        self.managed_schema = polars_schema(MANAGED)
        self.managed = stored.to_dicts()
        listed = warehouse.read("raw.playlists", user_id=user)
        self.listing = Listing(dict(zip(listed["playlist_id"], listed["snapshot_id"])),
                               listed["fetched_at"].max() if listed.height else None)

    def start(self, child: str, base_source: str | None, run_id: str | None, dry_run: bool, now: datetime) -> dict:
        """Mark orphaned events failed and record this push as in progress, in one write."""
        event = events.start_event(self.user, child, now, base_source, run_id, dry_run)
        self.events = events.fail_orphans(self.events, now) + [event]
        self._write_events()
        return event

    def save_event(self, event: dict) -> None:
        self.events = events.upsert(self.events, event)
        self._write_events()

    def _write_events(self) -> None:
        self.warehouse.replace_partition(events.TABLE, self.user, events.to_frame(self.events))

    def managed_parts(self, child: str) -> dict[int, dict]:
        return {row["part"]: row for row in self.managed if row["child_playlist"] == child}

    def save_managed(self, child: str, rows: dict[int, dict]) -> None:
        """Make `rows` the managed playlists of one child playlist."""
        self.managed = [r for r in self.managed if r["child_playlist"] != child] + list(rows.values())
        self.warehouse.replace_partition(MANAGED, self.user, pl.DataFrame(self.managed, schema=self.managed_schema))


def push_user(spotify, warehouse, user: str, wanted: dict[str, dict], config: PushConfig,
              run_id: str | None = None, log: Callable[[str], None] = print,
              clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
              now: Callable[[], datetime] = utcnow) -> list[dict]:
    """Push every child playlist of one user (`wanted`: as `tracklists` gives them); one sync event
    each. Returns the events."""
    store = SyncStore(warehouse, user)
    finished = []
    for child, tracklist in wanted.items():
        if config.only and child not in config.only:
            continue
        known = store.managed_parts(child)
        recorded_hash = next((row["rule_hash"] for row in known.values()), None)
        policy = PushPolicy(
            dry_run=config.dry_run, force=config.force, verify=config.verify,
            max_remove_share=config.max_remove_share, max_attempts=config.max_attempts, max_wait_s=config.max_wait_s,
            rule_changed=bool(recorded_hash and tracklist["rule_hash"] and recorded_hash != tracklist["rule_hash"]),
        )
        event = store.start(child, tracklist["base_source"], run_id, config.dry_run, now())
        spent_before = sum(spotify.requests_spent(user).values())
        try:
            result = push_child(spotify, user, child, tracklist["uris"], known, policy, tracklist["rule_hash"],
                                config.limit_mode, event, lambda rows: store.save_managed(child, rows), log,
                                now=now, clock=clock, sleep=sleep, listing=store.listing)
            event = result.event
            if not config.dry_run and result.rows != known:
                store.save_managed(child, result.rows)
        except Exception as error:  # one failing child playlist never stops the others; the event says why
            event = events.finish_event(event, events.FAILED, now(), error=f"{type(error).__name__}: {error}")
        event = {**event, "api_requests": sum(spotify.requests_spent(user).values()) - spent_before}
        store.save_event(event)
        finished.append(event)
    return finished


_PUSH_SPEC = dict(kinds={"spotify"}, deps=[TRACKLISTS_KEY, PLAYLISTS_KEY], automation_condition=PUSH_WHEN_CHANGED)


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
    wanted = tracklists(warehouse.read(TRACKLISTS, user_id=user))
    clock = spotify.time_source
    finished = push_user(spotify, warehouse, user, wanted, config, context.run.run_id, context.log.info,
                         clock=clock.time, sleep=clock.sleep, now=clock.now)
    metadata: dict = {
        "pushed": len(finished),
        "write_requests": sum(e["write_requests"] for e in finished),
        "requests_saved": sum(e["requests_saved"] for e in finished),
        "failed": [e["child_playlist"] for e in finished if e["status"] == events.FAILED],
        "dry_run": config.dry_run,
        **record_spend(context, spotify.ledger),
    }
    for event in finished:
        metadata.update(events.event_metadata(event))
    if metadata["failed"]:
        raise dg.Failure(f"push failed or was refused for: {', '.join(metadata['failed'])}", metadata=metadata)
    yield dg.MaterializeResult(asset_key=SYNC_EVENTS_KEY, metadata=metadata)
    yield dg.MaterializeResult(asset_key=MANAGED_KEY, metadata={
        "dagster/row_count": warehouse.query(f"select count(*) from {MANAGED} where user_id = ?", [user]).item()})
