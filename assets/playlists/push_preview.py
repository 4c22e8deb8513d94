"""What a push of one child playlist would do, worked out without a request: the push's own decisions
(`push.push_child`: find each part, rename it, read it unless untouched, plan, judge the removals) taken
over the state the warehouse holds: the managed rows, the last listing and the playlist items it read.

An estimate where the warehouse cannot know: a playlist changed on Spotify since the last listing is
planned from what the warehouse last saw of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assets.playlists.plan import DEFAULT_MAX_REMOVE_SHARE, Item, guardrail, plan_push, split_parts
from assets.playlists.push import (Listing, last_pushed_items, marker_of, outdated_details, pushable,
                                   untouched_since_last_push)

# read_items pages at the Spotify resource's default page size (`playlist_items_page`)
READ_PAGE_SIZE = 50


@dataclass(frozen=True)
class Stored:
    """A playlist's items as ingestion last read them, at `snapshot`."""

    snapshot: str | None
    uris: list[str | None]


@dataclass(frozen=True)
class PartPreview:
    part: int
    found: str  # known | adopted | created
    current: int  # entries it holds now
    adds: int
    removes: int
    moves: int
    kept: int
    setup: int  # finding, renaming and reading it: spent even when the guardrail refuses the writes
    writes: int  # the plan's steps

    @property
    def requests(self) -> int:
        return self.setup + self.writes


@dataclass(frozen=True)
class PushPreview:
    parts: list[PartPreview]
    target: int  # pushable tracks
    unpushable: int
    refused: str | None  # the guardrail's refusal: then only finding, renaming and reading are spent

    @property
    def created(self) -> bool:
        return all(p.found == "created" for p in self.parts)

    def total(self, name: str) -> int:
        """The sum over the parts of one count: adds, removes, moves, kept, setup, writes, requests or current."""
        return sum(getattr(p, name) for p in self.parts)

    @property
    def requests(self) -> int:
        return self.total("setup") + (0 if self.refused else self.total("writes"))


def preview_push(user: str, child: str, child_id: str, tracks: list[str], managed: dict[int, dict],
                 listing: Listing, stored: dict[str, Stored], rule_hash: str | None) -> PushPreview:
    """The push of `tracks` to the child playlist's parts, as `push_child` would plan it (split mode)."""
    spendable = [uri for uri in tracks if pushable(uri)]
    targets = split_parts(spendable).parts
    targets += [[] for _ in range(len(targets), max(managed, default=0))]
    parts, held = [], []
    for part, target in enumerate(targets, start=1):
        current, preview = _part(user, child, child_id, part, target, managed.get(part), listing, stored)
        parts.append(preview)
        held += current
    recorded = {row["rule_hash"] for row in managed.values() if row.get("rule_hash")}
    rule_changed = bool(rule_hash and recorded - {rule_hash})
    refused = guardrail(held, [uri for t in targets for uri in t], DEFAULT_MAX_REMOVE_SHARE, rule_changed)
    return PushPreview(parts, len(spendable), len(tracks) - len(spendable), refused)


def _part(user: str, child: str, child_id: str, part: int, target: list[str], known: dict | None,
          listing: Listing, stored: dict[str, Stored]) -> tuple[list[str | None], PartPreview]:
    finding, renaming, reading = 0, 0, 0
    if known is not None and known.get("playlist_id"):
        found, playlist_id = "known", known["playlist_id"]
        snapshot = listing.snapshot_since(known)
        if snapshot is None:
            finding = 1  # GET its snapshot; nothing says it changed since the push, so take it as pushed
            snapshot = known.get("snapshot_id")
        renaming = int(outdated_details(user, child, child_id, part, known))
    else:
        adopted = listing.adoptable((known or {}).get("marker") or marker_of(user, child_id, part), set())
        found, playlist_id, snapshot = ("adopted", *adopted) if adopted else ("created", None, None)
        finding = int(found == "created")
    if found == "created":
        current: list[str | None] = []
    elif found == "known" and untouched_since_last_push(known, playlist_id, snapshot):
        current = [item.uri for item in last_pushed_items(known)]
    else:
        current = _last_seen(stored.get(playlist_id), known, snapshot)
        reading = max(1, math.ceil(len(current) / READ_PAGE_SIZE))
    plan = plan_push([Item(uri) for uri in current], target)
    return current, PartPreview(part, found, len(current), plan.added, plan.removed, plan.moves, len(plan.kept),
                                finding + renaming + reading, plan.requests)


def _last_seen(items: Stored | None, known: dict | None, snapshot: str | None) -> list[str | None]:
    """What the playlist holds as the warehouse last saw it: the items ingestion read at its current
    snapshot, else what mixtape last pushed to it, else whatever ingestion read."""
    if items is not None and items.snapshot == snapshot:
        return items.uris
    if known and known.get("tracklist") is not None:
        return [item.uri for item in last_pushed_items(known)]
    return items.uris if items is not None else []
