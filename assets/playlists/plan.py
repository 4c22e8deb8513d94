"""Sync planning: the cheapest safe sequence of Spotify writes that turns a playlist into its target.

Pure functions over plain data. Each plan step is exactly one HTTP request, so a plan's request
count is the length of its steps. Spotify semantics the planner relies on (and `apply_plan`
simulates):

- `Add(uris, position)`: POST ≤100 uris, inserted before `position` (None: at the end).
- `Remove(items)`: DELETE ≤100 `(uri, positions)` objects; every position refers to the playlist as
  it was before this request and must hold that uri. Removing by uri alone would remove every
  occurrence, so the planner always names positions (also the only way to remove local files).
- `Move(range_start, range_length, insert_before)`: PUT reorder; `insert_before` counts in the
  playlist as it was before the move. Moved items keep their added_at.
- `Replace(uris)`: PUT ≤100 uris; everything else goes and every added_at restarts.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

from resources.batching import chunks

MAX_URIS_PER_REQUEST = 100
MAX_PLAYLIST_ITEMS = 10_000
LOCAL_PREFIX = "spotify:local:"


class Item(NamedTuple):
    """One entry of a remote playlist; uri is None for unavailable content."""

    uri: str | None
    added_at: object = None


@dataclass(frozen=True)
class Add:
    uris: tuple[str, ...]
    position: int | None = None


@dataclass(frozen=True)
class Remove:
    items: tuple[tuple[str, tuple[int, ...]], ...]  # (uri, positions) objects of one DELETE


@dataclass(frozen=True)
class Move:
    range_start: int
    range_length: int
    insert_before: int


@dataclass(frozen=True)
class Replace:
    uris: tuple[str, ...]


Step = Add | Remove | Move | Replace


@dataclass(frozen=True)
class Plan:
    strategy: str  # noop | append | diff | replace
    steps: tuple[Step, ...]
    replace_requests: int  # what wipe-and-replace would have cost
    kept: tuple[int, ...]  # positions in the current playlist whose entries keep their added_at
    added: int  # target entries the playlist did not hold (as a multiset), whatever the strategy
    removed: int  # current entries the target does not hold
    moves: int = 0
    final_length: int = 0

    @property
    def requests(self) -> int:
        return len(self.steps)

    @property
    def requests_saved(self) -> int:
        return self.replace_requests - self.requests

    def summary(self) -> dict:
        return {
            "strategy": self.strategy,
            "requests": self.requests,
            "replace_requests": self.replace_requests,
            "requests_saved": self.requests_saved,
            "adds": self.added,
            "removes": self.removed,
            "moves": self.moves,
            "kept": len(self.kept),
            "final_length": self.final_length,
        }


@dataclass(frozen=True)
class PlanOptions:
    """How many extra requests keeping added_at may cost beyond wipe-and-replace, and whether the
    client can name local files in a DELETE (spotipy cannot: it rejects `spotify:local:` uris)."""

    extra_requests: int = 2
    extra_share: float = 0.5
    can_remove_local: bool = False

    def budget(self, replace_requests: int) -> int:
        return replace_requests + max(self.extra_requests, math.ceil(replace_requests * self.extra_share))


def replace_steps(target: Sequence[str]) -> tuple[Step, ...]:
    """PUT the first 100 uris, POST the rest at the end; an empty target is one PUT of []."""
    parts = chunks(tuple(target), MAX_URIS_PER_REQUEST) or [()]
    return (Replace(tuple(parts[0])),) + tuple(Add(tuple(part)) for part in parts[1:])


def replace_cost(target_length: int) -> int:
    return max(1, math.ceil(target_length / MAX_URIS_PER_REQUEST))


def check_target(target: Sequence[str]) -> None:
    for position, uri in enumerate(target):
        if not uri or uri.startswith(LOCAL_PREFIX):
            raise ValueError(
                f"target position {position}: {uri!r} cannot be added through the API "
                "(expected a spotify:track: or spotify:episode: uri)"
            )


def plan_push(current: Sequence[Item], target: Sequence[str], options: PlanOptions = PlanOptions()) -> Plan:
    """The cheapest safe plan that makes `current` equal `target`, keeping added_at where affordable."""
    check_target(target)
    uris = [item.uri for item in current]
    target = list(target)
    cost_of_replace = replace_cost(len(target))
    if uris == target:
        return Plan("noop", (), cost_of_replace, tuple(range(len(uris))), 0, 0, 0, len(target))
    if uris == target[: len(uris)]:
        steps = tuple(Add(tuple(part)) for part in chunks(target[len(uris) :], MAX_URIS_PER_REQUEST))
        return Plan("append", steps, cost_of_replace, tuple(range(len(uris))), len(target) - len(uris), 0, 0, len(target))
    diff = None
    if options.can_remove_local or not any(uri and uri.startswith(LOCAL_PREFIX) for uri in uris):
        diff = diff_plan(uris, target, options.budget(cost_of_replace), cost_of_replace)
    if diff is not None and diff.kept:
        return diff
    shared = sum((Counter(uris) & Counter(target)).values())
    return Plan("replace", replace_steps(target), cost_of_replace, (), len(target) - shared, len(uris) - shared, 0,
                len(target))


def diff_plan(uris: list[str | None], target: list[str], budget: int, cost_of_replace: int) -> Plan | None:
    """Remove what goes, move what is out of order, insert what is new; None if over budget or impossible."""
    if any(uri is None for uri in uris):
        return None  # unavailable entries have no uri to delete them by; only a replace clears them
    kept = kept_positions(uris, target)
    removed, added = len(uris) - len(kept), len(target) - len(kept)
    if math.ceil(removed / MAX_URIS_PER_REQUEST) + math.ceil(added / MAX_URIS_PER_REQUEST) > budget:
        return None  # over budget before a single move
    staying = set(kept)
    removals = [p for p in range(len(uris)) if p not in staying]
    steps: list[Step] = removal_steps(uris, removals)
    moves = move_steps([uris[p] for p in kept], target, budget - len(steps))
    if moves is None:
        return None
    steps += moves
    steps += insertion_steps(target, kept_target_flags(uris, kept, target))
    if len(steps) > budget:
        return None
    added = len(target) - len(kept)
    return Plan("diff", tuple(steps), cost_of_replace, tuple(kept), added, len(removals), len(moves), len(target))


def kept_positions(uris: Sequence[str], target: Sequence[str]) -> list[int]:
    """Current positions that stay: for each uri, its earliest occurrences, as many as the target holds."""
    wanted = Counter(target)
    kept = []
    for position, uri in enumerate(uris):
        if wanted[uri] > 0:
            wanted[uri] -= 1
            kept.append(position)
    return kept


def kept_target_flags(uris: Sequence[str], kept: Sequence[int], target: Sequence[str]) -> list[bool]:
    """For each target position, whether a kept entry fills it (its i-th occurrence of that uri)."""
    available = Counter(uris[p] for p in kept)
    flags = []
    for uri in target:
        flags.append(available[uri] > 0)
        available[uri] -= 1
    return flags


def removal_steps(uris: Sequence[str], removals: Sequence[int]) -> list[Step]:
    """DELETE by uri and position, highest positions first so later requests' positions stay valid."""
    steps = []
    for part in chunks(sorted(removals, reverse=True), MAX_URIS_PER_REQUEST):
        by_uri: dict[str, list[int]] = defaultdict(list)
        for position in part:
            by_uri[uris[position]].append(position)
        steps.append(Remove(tuple((uri, tuple(sorted(ps))) for uri, ps in by_uri.items())))
    return steps


def target_ranks(kept_uris: Sequence[str], target: Sequence[str]) -> list[int]:
    """Rank in the target's kept subsequence of each kept entry (i-th occurrence maps to i-th)."""
    order: dict[str, list[int]] = defaultdict(list)
    rank = 0
    remaining = Counter(kept_uris)
    for uri in target:
        if remaining[uri] > 0:
            remaining[uri] -= 1
            order[uri].append(rank)
            rank += 1
    seen: Counter = Counter()
    ranks = []
    for uri in kept_uris:
        ranks.append(order[uri][seen[uri]])
        seen[uri] += 1
    return ranks


def longest_increasing(ranks: Sequence[int]) -> set[int]:
    """Values of one longest increasing subsequence (ranks are distinct)."""
    tails: list[int] = []
    tail_index: list[int] = []
    parent = [-1] * len(ranks)
    for i, value in enumerate(ranks):
        j = bisect.bisect_left(tails, value)
        if j == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[j] = value
            tail_index[j] = i
        parent[i] = tail_index[j - 1] if j > 0 else -1
    result = set()
    i = tail_index[-1] if tail_index else -1
    while i != -1:
        result.add(ranks[i])
        i = parent[i]
    return result


def move_steps(kept_uris: Sequence[str], target: Sequence[str], budget: int) -> list[Step] | None:
    """Reorders that sort the kept entries into target order, moving only those off the longest
    in-order run; consecutive ranks that sit together move as one range. None past the budget."""
    ranks = target_ranks(kept_uris, target)
    staying = longest_increasing(ranks)
    order = list(ranks)  # the playlist after removals, as ranks
    steps: list[Step] = []
    rank = 0
    while rank < len(order):
        if rank in staying:
            rank += 1
            continue
        start = order.index(rank)
        length = 1
        while rank + length < len(order) and rank + length not in staying and start + length < len(order) and order[start + length] == rank + length:
            length += 1
        insert_before = order.index(rank - 1) + 1 if rank > 0 else 0
        if not start <= insert_before <= start + length:
            steps.append(Move(start, length, insert_before))
            if len(steps) > budget:
                return None
            order = apply_move(order, start, length, insert_before)
        rank += length
    return steps


def insertion_steps(target: Sequence[str], filled: Sequence[bool]) -> list[Step]:
    """Insert each run of new target entries at its target position, in ascending order, so every
    earlier position is already right when a run goes in."""
    steps: list[Step] = []
    position = 0
    while position < len(target):
        if filled[position]:
            position += 1
            continue
        end = position
        while end < len(target) and not filled[end]:
            end += 1
        for offset in range(position, end, MAX_URIS_PER_REQUEST):
            part = tuple(target[offset : min(end, offset + MAX_URIS_PER_REQUEST)])
            at_end = end == len(target)
            steps.append(Add(part, None if at_end else offset))
        position = end
    return steps


# --- Spotify playlist semantics, simulated -------------------------------------------------------


class PlaylistError(ValueError):
    """A write Spotify would refuse."""


def apply_move(items: list, range_start: int, range_length: int, insert_before: int) -> list:
    if range_length < 1 or range_start < 0 or range_start + range_length > len(items):
        raise PlaylistError(f"bad range {range_start}+{range_length} on {len(items)} items")
    if not 0 <= insert_before <= len(items):
        raise PlaylistError(f"bad insert_before {insert_before} on {len(items)} items")
    block = items[range_start : range_start + range_length]
    rest = items[:range_start] + items[range_start + range_length :]
    at = insert_before if insert_before <= range_start else insert_before - range_length
    return rest[:at] + block + rest[at:]


def apply_step(items: list[Item], step: Step, added_at: object = "new") -> list[Item]:
    """One request's effect on a playlist, as Spotify applies it."""
    if isinstance(step, Replace):
        check_request(step.uris)
        return [Item(uri, added_at) for uri in step.uris]
    if isinstance(step, Add):
        check_request(step.uris)
        position = len(items) if step.position is None else step.position
        if not 0 <= position <= len(items):
            raise PlaylistError(f"position {position} out of range 0..{len(items)}")
        return items[:position] + [Item(uri, added_at) for uri in step.uris] + items[position:]
    if isinstance(step, Remove):
        return apply_remove(items, step)
    if isinstance(step, Move):
        return apply_move(items, step.range_start, step.range_length, step.insert_before)
    raise TypeError(step)


def check_request(uris: Sequence[str]) -> None:
    if len(uris) > MAX_URIS_PER_REQUEST:
        raise PlaylistError(f"{len(uris)} uris in one request (max {MAX_URIS_PER_REQUEST})")
    for uri in uris:
        if not uri or uri.startswith(LOCAL_PREFIX):
            raise PlaylistError(f"cannot add {uri!r}")


def apply_remove(items: list[Item], step: Remove) -> list[Item]:
    if len(step.items) > MAX_URIS_PER_REQUEST:
        raise PlaylistError(f"{len(step.items)} objects in one DELETE (max {MAX_URIS_PER_REQUEST})")
    doomed = set()
    for uri, positions in step.items:
        if not positions:
            doomed |= {p for p, item in enumerate(items) if item.uri == uri}
        for position in positions:
            if not 0 <= position < len(items) or items[position].uri != uri:
                raise PlaylistError(f"{uri} is not at position {position}")
            doomed.add(position)
    return [item for p, item in enumerate(items) if p not in doomed]


def apply_plan(items: Sequence[Item], plan: Plan | Sequence[Step], added_at: object = "new") -> list[Item]:
    """The playlist after every step of a plan."""
    steps = plan.steps if isinstance(plan, Plan) else plan
    result = list(items)
    for step in steps:
        result = apply_step(result, step, added_at)
    if len(result) > MAX_PLAYLIST_ITEMS:
        raise PlaylistError(f"{len(result)} items exceed Spotify's {MAX_PLAYLIST_ITEMS}")
    return result


# --- Guardrail and the 10,000-item limit ----------------------------------------------------------


DEFAULT_MAX_REMOVE_SHARE = 0.5


def guardrail(held: Sequence[str | None], target: Sequence[str], max_remove_share: float = DEFAULT_MAX_REMOVE_SHARE,
              rule_changed: bool = False, force: bool = False) -> str | None:
    """Why a push must not run, or None. `held` is what the playlist holds now and `target` what it
    should hold, each end to end across all the parts of a split child playlist: removing most of it
    while its rule is unchanged means its inputs shrank (usually an upstream failure), so it needs the
    rule to have changed or a forced run; so does emptying it because the rule now matches nothing.
    Removed counts the tracks the whole no longer holds, so a track that only moves to another part
    is not one, and a part left surplus weighs with the rest."""
    if not held or rule_changed or force:
        return None
    removed = len(held) - sum((Counter(held) & Counter(target)).values())
    if not target and removed:
        return (f"refused: the rule now matches nothing and the push would empty the playlist (removes {removed} of "
                f"{len(held)} tracks) while the rule is unchanged; change the rule or force it (--force NAME)")
    share = removed / len(held)
    if share > max_remove_share:
        return (
            f"refused: the push removes {removed} of {len(held)} tracks ({share:.0%} > {max_remove_share:.0%}) "
            "while the rule is unchanged and its inputs shrank; run with force (--force NAME) to allow it"
        )
    return None


@dataclass(frozen=True)
class Parts:
    parts: list[list[str]] = field(default_factory=list)
    warning: str | None = None


def split_parts(target: Sequence[str], mode: str = "split", limit: int = MAX_PLAYLIST_ITEMS) -> Parts:
    """Fit a tracklist under Spotify's per-playlist limit: numbered parts, or the first `limit` tracks."""
    target = list(target)
    if len(target) <= limit:
        return Parts([target])
    if mode == "truncate":
        return Parts([target[:limit]], f"tracklist of {len(target)} truncated to {limit} (Spotify's limit)")
    if mode == "split":
        return Parts(chunks(target, limit))
    raise ValueError(f"limit mode {mode!r}: expected 'split' or 'truncate'")
