"""Sync planning for a user's Spotify library: plain data in and out, no Dagster, no HTTP.

Liked songs. What mixtape holds of a user's Liked Songs is a *prefix*: the newest
entries of the library in Spotify's order (newest first), exact as of the last run, plus the library's
total at that time. A finished sync holds the whole library (prefix length == total); a cold sync cut
short by the day's budget holds its first pages. Every run does the same thing:

1. head check: read pages from the top until an entry of the prefix shows up; entries above it are new
   likes (an entry is its track id *and* its added_at, so an unlike + re-like counts as new). So k new
   likes cost ceil((k + 1) / 50) pages: when k is a multiple of 50, one more page proves nothing was
   removed below them;
2. arithmetic: removed = old total + new - total now. When nothing was removed, the old prefix sits just
   below the new entries, unchanged; otherwise the removed entries are located by probing pages
   (a binary search over the prefix), and a full re-read is the fallback when that would cost more;
3. the prefix grows page by page until it covers the library or the allowance is spent.

So the cursor is simply "the prefix and the total"; new likes between two days shift it by their number,
removals are found, no page is fetched twice and none is skipped. A full resync (TTL, forced, or a
prefix that no longer adds up) starts from an empty prefix and keeps the history for the merge.

Playlists: items are re-read only where the snapshot changed and the user can read them; each page
read is kept with its snapshot as it arrives, so a read cut short (by the budget or a kill) resumes after
its last page, and restarts when the snapshot moved meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from resources.budget import OutOfBudget  # the stop is the budget's: a spent allowance ends a read the same way

PAGE = 50
DEFAULT_FULL_SYNC_TTL = timedelta(days=7)


def pages(items: int) -> int:
    """Requests needed to read `items` entries in pages of 50."""
    return math.ceil(max(items, 0) / PAGE)


class Inconsistent(Exception):
    """What Spotify shows does not fit what mixtape holds: re-read from scratch."""


# -- liked songs: data -------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """One entry of Liked Songs; the pair (track_id, added_at) identifies one like."""

    track_id: str
    added_at: datetime | None


@dataclass(frozen=True)
class Page:
    offset: int
    entries: list[Saved]
    total: int


@dataclass
class LikedProgress:
    """What a liked-songs run ends with."""

    prefix: list[Saved]          # the library's top entries, exact now (the whole library when complete)
    total: int | None            # the library's total at the last page read (None: never read)
    mode: str                    # "incremental" or "full"
    requests: int = 0
    new: int = 0                 # entries above the old prefix
    removed: list[Saved] = field(default_factory=list)   # old-prefix entries located as gone
    probes: int = 0              # requests spent locating removals (beyond the pages the library needs)
    stopped: str | None = None   # why the run stopped early, if it did

    @property
    def complete(self) -> bool:
        return self.total is not None and len(self.prefix) >= self.total

    @property
    def pages_done(self) -> int:
        return pages(len(self.prefix))

    @property
    def pages_total(self) -> int:
        return pages(self.total or 0)


def needs_full_resync(last_full_sync_at: datetime | None, now: datetime, ttl: timedelta = DEFAULT_FULL_SYNC_TTL,
                      force: bool = False) -> bool:
    """A full re-read is due: never done, forced, or the last one is older than its TTL."""
    return force or last_full_sync_at is None or now - last_full_sync_at >= ttl


# -- liked songs: the run ----------------------------------------------------------------------


# A read commits what it holds every this many pages (see `sync_liked`'s `checkpoint`)
CHECKPOINT_PAGES = 10

Checkpoint = Callable[[list[Saved], int], None]


class _Reader:
    """Fetches pages within an allowance and remembers every entry seen, by position.

    `exact` (set by the phase of the run) says what exact prefix the pages read so far make, when the
    run is at a point where it knows one; every `every` pages that prefix goes to `checkpoint`."""

    def __init__(self, fetch: Callable[[int], Page], allowance: int | None, checkpoint: Checkpoint | None = None,
                 every: int = CHECKPOINT_PAGES):
        self.fetch, self.allowance = fetch, allowance
        self.requests = 0
        self.seen: dict[int, Saved] = {}
        self.total: int | None = None
        self.checkpoint, self.every = checkpoint, every
        self.exact: Callable[[], list[Saved]] | None = None
        self.unsaved = 0

    def read(self, offset: int) -> Page:
        if self.allowance is not None and self.requests >= self.allowance:
            raise OutOfBudget()
        page = self.fetch(offset)
        self.requests += 1
        self.total = page.total
        for i, entry in enumerate(page.entries):
            self.seen[page.offset + i] = entry
        self.unsaved += 1
        if self.checkpoint and self.exact and self.unsaved >= self.every:
            prefix = self.exact()
            if len(prefix) < self.total:  # a complete read is saved by its run
                self.checkpoint(prefix, self.total)
                self.unsaved = 0
        return page

    def contiguous_from(self, position: int) -> list[Saved]:
        run = []
        while position in self.seen:
            run.append(self.seen[position])
            position += 1
        return run


def sync_liked(prefix: Sequence[Saved], old_total: int, fetch: Callable[[int], Page],
               allowance: int | None = None, full: bool = False, max_probe_share: float = 1.0,
               checkpoint: Checkpoint | None = None, every: int = CHECKPOINT_PAGES) -> LikedProgress:
    """One run over Liked Songs: head check, removals located, prefix grown until complete or out of budget.

    `prefix`/`old_total`: what mixtape holds (see the module docstring); `full`: ignore the prefix and
    re-read everything; `fetch(offset)`: one request for the page at `offset`.

    `checkpoint(prefix, total)`: called every `every` pages while the pages read make an exact prefix
    of the library (a read from scratch, and the growth after the head check), so the caller can
    commit it: a run killed part-way resumes from the last checkpoint like a run stopped by the budget.
    """
    reader = _Reader(fetch, allowance, checkpoint, every)
    held = [] if full else list(prefix)
    old_total = 0 if full else old_total
    mode = "incremental" if held and len(held) >= old_total else "full"
    progress = LikedProgress(prefix=held, total=old_total if held else None, mode=mode)
    if not held:
        reader.exact = lambda: reader.contiguous_from(0)
    try:
        progress.new = _head_check(reader, held)
        progress.prefix, progress.removed, progress.probes = _reconcile(reader, held, old_total, progress.new,
                                                                        max_probe_share)
        progress.total = reader.total
        reader.exact = lambda: progress.prefix + reader.contiguous_from(len(progress.prefix))
        _grow(reader, progress)
    except OutOfBudget as stop:
        progress.stopped = stop.why
        if progress.prefix is held and not held and reader.total is not None:
            # a read from scratch cut short: keep the pages it got
            progress.prefix, progress.total = reader.contiguous_from(0), reader.total
    except Inconsistent:
        rest = None if allowance is None else allowance - reader.requests
        restarted = sync_liked([], 0, fetch, rest, checkpoint=checkpoint, every=every)
        restarted.requests += reader.requests
        return restarted
    progress.requests = reader.requests
    return progress


def _head_check(reader: _Reader, held: list[Saved]) -> int:
    """Read from the top until an entry mixtape holds shows up; return how many entries sit above it."""
    known = set(held)
    offset = 0
    while True:
        page = reader.read(offset)
        for i, entry in enumerate(page.entries):
            if entry in known:
                return offset + i
        offset += len(page.entries)
        # A page of only new entries is never the end, even when the arithmetic says "exactly this many
        # new": 51 new likes and 1 unlike look the same as 50 new ones until the next page shows.
        if not page.entries or offset >= page.total:
            return offset


def _reconcile(reader: _Reader, held: list[Saved], old_total: int, new: int,
               max_probe_share: float) -> tuple[list[Saved], list[Saved], int]:
    """The exact current prefix: new entries, then the held ones minus those located as removed."""
    fresh = [reader.seen[p] for p in range(new)]
    if not held:
        return fresh, [], 0
    removed_count = old_total + new - reader.total
    if removed_count < 0:
        raise Inconsistent()
    if removed_count == 0:
        return fresh + held, [], 0
    gone_in_held = removed_count if len(held) >= old_total else _removed_within(reader, held, new, removed_count)
    before = reader.requests
    budget = max(1, int(pages(reader.total) * max_probe_share))
    gone = locate_removed(held, new, gone_in_held, reader, max_requests=budget)
    gone_set = set(gone)
    return fresh + [e for e in held if e not in gone_set], gone, reader.requests - before


def _removed_within(reader: _Reader, held: list[Saved], new: int, removed: int) -> int:
    """How many of `removed` entries were in the held prefix (the rest were further down).

    Below the new entries come the held entries still there, then the rest of the library. Reading
    from a point no lower than where the held entries end (at most `removed` above their old end),
    the held entries seen before the first other one tell how far down they now end.
    """
    known = set(held)
    start = max(new, len(held) + new - removed)
    offset, overlap = start, 0
    while True:
        page = reader.read(offset)
        for entry in page.entries:
            if entry not in known:
                return new + len(held) - start - overlap
            overlap += 1
        offset += len(page.entries)
        if not page.entries or offset >= page.total:
            return new + len(held) - start - overlap


def locate_removed(held: Sequence[Saved], new: int, gone: int, reader: _Reader, max_requests: int) -> list[Saved]:
    """The `gone` entries of `held` no longer in the library, found by probing pages (binary search).

    Below the `new` fresh entries the library is `held` minus the gone entries, in the same order: an
    entry seen at position p with index i in `held` tells how many entries before it are gone.
    """
    index = {entry: i for i, entry in enumerate(held)}
    found: list[Saved] = []
    start_requests = reader.requests

    def observed(lo: int, hi: int, start: int, present: int) -> list[tuple[int, int]]:
        points = [(p, index.get(e, -1)) for p, e in reader.seen.items() if start <= p < start + present]
        return sorted((p, i) for p, i in points if lo <= i < hi)

    def search(lo: int, hi: int, g: int, g_before: int) -> None:
        if g == 0:
            return
        if g == hi - lo:
            found.extend(held[lo:hi])
            return
        start, present = new + lo - g_before, hi - lo - g
        points = observed(lo, hi, start, present)
        if not points:
            if reader.requests - start_requests >= max_requests:
                raise Inconsistent()
            reader.read(start if present <= PAGE else start + (present - PAGE) // 2)
            points = observed(lo, hi, start, present)
            if not points:
                raise Inconsistent()
        position, i = points[len(points) // 2]
        g_left = (i - lo) - (position - start)
        if not 0 <= g_left <= g or g - g_left > hi - i - 1:
            raise Inconsistent()
        search(lo, i, g_left, g_before)
        search(i + 1, hi, g - g_left, g_before + g_left)

    search(0, len(held), gone, 0)
    return found


def _grow(reader: _Reader, progress: LikedProgress) -> None:
    """Extend the prefix with pages already seen, then page by page until the library is covered."""
    while True:
        progress.prefix = progress.prefix + reader.contiguous_from(len(progress.prefix))
        if len(progress.prefix) >= reader.total:
            progress.total = reader.total
            return
        page = reader.read(len(progress.prefix))
        progress.total = reader.total
        if not page.entries:
            raise Inconsistent()


# -- liked songs: history ----------------------------------------------------------------------


@dataclass
class LikedRow:
    """One row of raw.liked_songs: a track's whole like history for one user."""

    track_id: str
    liked_at: datetime | None
    unliked_at: datetime | None = None
    first_liked_at: datetime | None = None
    like_count: int = 1
    last_seen_at: datetime | None = None  # when mixtape first saw the current like
    position: int | None = None   # place in Liked Songs now (None once unliked)


@dataclass
class MergeCounts:
    new: int = 0
    relikes: int = 0
    unliked: int = 0
    unchanged: int = 0
    moved: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.new or self.relikes or self.unliked or self.moved)


def merge_liked(history: Iterable[LikedRow], library: Sequence[Saved], now: datetime) -> tuple[list[LikedRow], MergeCounts]:
    """History after seeing the complete library: new likes, re-likes, unlikes; nothing is ever deleted."""
    rows = {row.track_id: row for row in history}
    counts = MergeCounts()
    current = set()
    for position, entry in enumerate(library):
        current.add(entry.track_id)
        row = rows.get(entry.track_id)
        if row is None:
            rows[entry.track_id] = LikedRow(entry.track_id, entry.added_at, None, entry.added_at, 1, now, position)
            counts.new += 1
        elif row.unliked_at is not None or row.liked_at != entry.added_at:
            row.liked_at, row.unliked_at, row.like_count = entry.added_at, None, row.like_count + 1
            row.last_seen_at, row.position = now, position
            counts.relikes += 1
        else:
            counts.moved += row.position != position
            row.position = position
            counts.unchanged += 1
    for track_id, row in rows.items():
        if track_id not in current and row.unliked_at is None:
            row.unliked_at, row.position = now, None
            counts.unliked += 1
    return sorted(rows.values(), key=_history_order), counts


def _history_order(row: LikedRow) -> tuple:
    return (row.position is None, row.position if row.position is not None else 0, row.track_id)


def held_library(history: Iterable[LikedRow]) -> list[Saved]:
    """The complete library as the history last saw it, in Spotify's order."""
    liked = sorted((r for r in history if r.unliked_at is None and r.position is not None), key=lambda r: r.position)
    return [Saved(r.track_id, r.liked_at) for r in liked]


# -- playlists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaylistListing:
    """A playlist as /me/playlists shows it to the user."""

    playlist_id: str
    snapshot_id: str
    owner_id: str
    collaborative: bool
    items_total: int


@dataclass(frozen=True)
class ItemsCursor:
    """A read of a playlist's items cut short: the snapshot it was reading and where it stopped."""

    playlist_id: str
    snapshot_id: str
    next_offset: int


@dataclass(frozen=True)
class ItemsRead:
    """What to read of one playlist: from `offset`, at `snapshot_id`."""

    playlist_id: str
    snapshot_id: str
    offset: int
    items_total: int

    @property
    def requests(self) -> int:
        return pages(self.items_total - self.offset)


@dataclass
class PlaylistDecisions:
    reads: list[ItemsRead] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)    # playlist id -> why
    unchanged: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)                # held before, no longer listed
    restarted: list[str] = field(default_factory=list)           # half-read, snapshot moved meanwhile


def unreadable_reason(listing: PlaylistListing, user: str, can_read_any: bool) -> str | None:
    """Why the user's token cannot read the playlist's items, or None when it can."""
    if can_read_any or listing.owner_id == user or listing.collaborative:
        return None
    return "followed, not owned or collaborative: development mode serves items only to owners and collaborators"


def plan_playlists(user: str, listings: Sequence[PlaylistListing], read_snapshots: dict[str, str],
                   cursors: dict[str, ItemsCursor], can_read_any: bool = False, force: bool = False) -> PlaylistDecisions:
    """Which playlists' items to (re-)read, from where; the others are unchanged or unreadable.

    `read_snapshots`: playlist id -> snapshot at which its items were last read completely.
    """
    decisions = PlaylistDecisions()
    listed = {p.playlist_id for p in listings}
    decisions.gone = sorted(set(read_snapshots) - listed)
    for listing in listings:
        why = unreadable_reason(listing, user, can_read_any)
        if why:
            decisions.unreadable[listing.playlist_id] = why
            continue
        cursor = cursors.get(listing.playlist_id)
        if cursor and cursor.snapshot_id == listing.snapshot_id and not force:
            decisions.reads.append(ItemsRead(listing.playlist_id, listing.snapshot_id, cursor.next_offset, listing.items_total))
        elif read_snapshots.get(listing.playlist_id) == listing.snapshot_id and not force:
            decisions.unchanged.append(listing.playlist_id)
        else:
            if cursor:
                decisions.restarted.append(listing.playlist_id)
            decisions.reads.append(ItemsRead(listing.playlist_id, listing.snapshot_id, 0, listing.items_total))
    return decisions


# A run that resumes an items read killed before it could finish reads on from the listing that read
# started from when that listing is younger than this, instead of listing again: about as long as a
# large cold sync runs, so the resumed read works from a listing as recent as an uninterrupted run
# would have. A playlist edited meanwhile is read as that longer run would have read it, and read anew
# once the next listing shows its new snapshot. A resumption later than this (the next day's quota,
# a crash noticed hours after) lists again.
LISTING_REUSE_WINDOW = timedelta(hours=1)


def reuse_listing(listed_at: datetime | None, items_saved_at: datetime | None, playlists_behind: int,
                  now: datetime, window: timedelta = LISTING_REUSE_WINDOW) -> bool:
    """Whether a run may read items from the stored listing instead of listing again: the listing is
    recent, some readable playlist is still behind it, and the items read that started from it never
    finished (it saved nothing since the listing: killed, not stopped by the budget)."""
    if listed_at is None or playlists_behind == 0 or now - listed_at >= window:
        return False
    return items_saved_at is None or items_saved_at < listed_at


# -- costs, budgets, progress ------------------------------------------------------------------


def cold_sync_minimum(liked: int, playlists: int, readable_items: Iterable[int]) -> int:
    """The fewest requests that can read a whole library in development mode."""
    return pages(liked) + pages(playlists) + sum(pages(n) for n in readable_items)


def run_minimum(liked_pages_needed: int, playlists: int, items_to_read: Iterable[int]) -> int:
    """The fewest requests for one run: liked pages that hold news (at least the head check), the
    playlist listing and the changed playlists' remaining pages."""
    return max(1, liked_pages_needed) + max(1, pages(playlists)) + sum(pages(n) for n in items_to_read)


@dataclass(frozen=True)
class SyncProgress:
    pages_done: int
    pages_total: int
    expected_done: date | None     # None when already done

    @property
    def complete(self) -> bool:
        return self.pages_done >= self.pages_total

    def describe(self) -> str:
        if self.complete:
            return f"{self.pages_done} of {self.pages_total} pages fetched, complete"
        when = f"expected done by {self.expected_done.isoformat()}" if self.expected_done else "no budget to finish"
        return f"{self.pages_done} of {self.pages_total} pages fetched, {when} at the current budget"


def sync_progress(pages_done: int, pages_total: int, per_day: int | None, today: date,
                  overhead_per_day: int = 2) -> SyncProgress:
    """Progress and the day the sync should finish if each day gives `per_day` requests, of which
    `overhead_per_day` go to the head checks of a resumption."""
    left = max(pages_total - pages_done, 0)
    if left == 0:
        return SyncProgress(pages_done, pages_total, None)
    if per_day is None:
        return SyncProgress(pages_done, pages_total, today)
    useful = per_day - overhead_per_day
    if useful <= 0:
        return SyncProgress(pages_done, pages_total, None)
    return SyncProgress(pages_done, pages_total, today + timedelta(days=math.ceil(left / useful)))
