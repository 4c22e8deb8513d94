"""What a user's library sync still needs, which sets their fair share of the day's Spotify budget
(`resources.budget` splits it)."""

from __future__ import annotations

import dagster as dg

from assets.partitions import spotify_users
from assets.spotify.state import LIKED, read_cursors
from assets.spotify.sync_plan import pages
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

# A warm sync with nothing new: the liked-songs head check and the playlist listing.
WARM_SYNC_REQUESTS = 2


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
    users = context.instance.get_dynamic_partitions(spotify_users.name)
    return spotify.budget.allowance(user, users, lambda u: pages_still_needed(warehouse, u))
