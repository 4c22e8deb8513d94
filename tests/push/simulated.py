"""An in-memory stand-in for the Spotify resource's playlist methods, on the planner's simulator.

For the executor's unit tests only (fast, every fault placeable); the end-to-end tests use the
real resource against the sandbox.
"""

from datetime import timedelta

from assets.playlists.plan import Add, Item, Move, Remove, Replace, apply_step
from assets.playlists.push import utcnow
from resources.spotify_errors import SpotifyNotFound, SpotifyRateLimited, SpotifyWriteUncertain


class SimulatedSpotify:
    def __init__(self, playlists: dict[str, list[Item]] | None = None, page_size: int = 50):
        self.playlists = {pid: list(items) for pid, items in (playlists or {}).items()}
        self.snapshots = {pid: 0 for pid in self.playlists}
        self.page_size = page_size
        self.requests = 0
        self.writes: list[tuple[str, object]] = []
        self.faults: list[tuple[str, bool, Exception]] = []  # (kind, apply first, error)
        self.clock = 0
        self.created: dict[str, dict] = {}

    # reads
    def playlist(self, user, playlist_id, fields=None):
        self.requests += 1
        if playlist_id not in self.playlists:
            raise SpotifyNotFound(f"GET /v1/playlists/{playlist_id}")
        return {"id": playlist_id, "snapshot_id": f"s{self.snapshots[playlist_id]}"}

    def playlist_items_page(self, user, playlist_id, offset, limit=50, fields=None):
        self.requests += 1
        items = self.playlists[playlist_id]
        page = items[offset : offset + self.page_size]
        more = offset + self.page_size < len(items)
        return {"items": [{"added_at": i.added_at, "item": {"uri": i.uri} if i.uri else None} for i in page],
                "next": (playlist_id, offset + self.page_size) if more else None}

    def next_page(self, user, page):
        playlist_id, offset = page["next"]
        return self.playlist_items_page(user, playlist_id, offset)

    def my_playlists_page(self, user, offset, limit=50):
        self.requests += 1
        return {"items": [{"id": pid, "snapshot_id": f"s{self.snapshots[pid]}", "owner": {"id": user},
                           "description": meta["description"], "name": meta["name"]}
                          for pid, meta in self.created.items() if pid in self.playlists], "next": None}

    def requests_spent(self, user):
        return {"all": self.requests}

    # writes
    def create_playlist(self, user, name, description, public=False):
        self.requests += 1
        playlist_id = f"pl{len(self.created)}"
        self.playlists[playlist_id] = []
        self.snapshots[playlist_id] = 0
        self.created[playlist_id] = {"id": playlist_id, "snapshot_id": "s0", "name": name, "description": description}
        return self.created[playlist_id]

    def add_items(self, user, playlist_id, uris, position=None):
        return self._write("add", playlist_id, Add(tuple(uris), position))

    def replace_items(self, user, playlist_id, uris):
        return self._write("replace", playlist_id, Replace(tuple(uris)))

    def remove_items(self, user, playlist_id, items, snapshot_id=None):
        step = Remove(tuple((i["uri"], tuple(i["positions"])) for i in items))
        return self._write("remove", playlist_id, step)

    def reorder_items(self, user, playlist_id, range_start, insert_before, range_length=1, snapshot_id=None):
        return self._write("reorder", playlist_id, Move(range_start, range_length, insert_before))

    def _write(self, kind, playlist_id, step):
        self.requests += 1
        self.clock += 1
        fault = next((f for f in self.faults if f[0] == kind), None)
        if fault:
            self.faults.remove(fault)
            if fault[1]:
                self._apply(kind, playlist_id, step)
            raise fault[2]
        return self._apply(kind, playlist_id, step)

    def _apply(self, kind, playlist_id, step):
        self.playlists[playlist_id] = apply_step(self.playlists[playlist_id], step, added_at=f"w{self.clock}")
        self.snapshots[playlist_id] += 1
        self.writes.append((kind, step))
        return f"s{self.snapshots[playlist_id]}"


def uncertain(endpoint="POST /v1/playlists/{playlist_id}/items"):
    return SpotifyWriteUncertain(endpoint, "502 Bad Gateway")


def rate_limited(seconds=0.0):
    return SpotifyRateLimited(utcnow() + timedelta(seconds=seconds))
