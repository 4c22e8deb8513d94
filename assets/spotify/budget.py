"""A user's share of the day's Spotify budget, and the stops that end a run cleanly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import dagster as dg

from assets.partitions import spotify_users
from assets.spotify.state import LIKED, read_cursors
from assets.spotify.sync_plan import OutOfBudget, fair_shares, pages
from resources.spotify import SpotifyResource
from resources.spotify_errors import SpotifyBudgetSpent, SpotifyQuotaExceeded, SpotifyRateLimited
from resources.warehouse import Warehouse

# Errors that mean "not now": the run keeps what it has and resumes another day.
PAUSES = (SpotifyBudgetSpent, SpotifyQuotaExceeded, SpotifyRateLimited)
# A warm sync with nothing new: the liked-songs head check and the playlist listing.
WARM_SYNC_REQUESTS = 2

T = TypeVar("T")


def clock_of(spotify: SpotifyResource) -> Callable[[], float]:
    return getattr(spotify, "_clock", None) or time.time


def pausable(call: Callable[[], T]) -> T:
    """Run one Spotify call; a spent budget, quota or long rate limit becomes OutOfBudget."""
    try:
        return call()
    except PAUSES as pause:
        raise OutOfBudget(str(pause), pause.resume_at) from None


def pages_still_needed(warehouse: Warehouse, user: str) -> int | None:
    """Requests the user still needs to be up to date, as far as the cursors know (None: never synced)."""
    cursors = read_cursors(warehouse, user)
    if (LIKED, "") not in cursors:
        return None
    unfinished = sum(max((c.pages_total or 0) - (c.pages_done or 0), 0) for c in cursors.values() if not c.complete)
    behind = warehouse.query(
        "select coalesce(list(items_total), []) from playlists where user_id = ? and readable "
        "and items_snapshot_id is distinct from snapshot_id", [user]).item()
    return WARM_SYNC_REQUESTS + unfinished + sum(pages(n or 0) for n in behind)


def allowance(context: dg.AssetExecutionContext, spotify: SpotifyResource, warehouse: Warehouse, user: str) -> int | None:
    """Requests this user may still spend today: a fair share of the day's budget (None: unlimited)."""
    remaining = spotify.remaining_today()
    if remaining is None:
        return None
    users = sorted(set(context.instance.get_dynamic_partitions(spotify_users.name)) | {user})
    now = clock_of(spotify)()
    spent = {u: spotify.ledger.spent_today(spotify.app_client_id, now, u) for u in users}
    needs = {u: None if (need := pages_still_needed(warehouse, u)) is None else spent[u] + need for u in users}
    shares = fair_shares(spotify.budget_per_day, needs)
    return max(0, min(remaining, shares[user] - spent[user]))
