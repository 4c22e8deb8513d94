"""The push under a fault at every request it sends: whatever happens (a write applied and answered
502, a 500, a 429, the day's quota, or the process dying there, before or after the write landed), the
next push-only run leaves the remote playlist exactly equal to the target, with no duplicates.

The remote is the in-memory playlist service (every request index reachable, fast); the warehouse is a
real DuckDB file, and the listing in raw.playlists is the one an ingest after the first push stored,
so a push-only run that trusted it over its own uncertain writes would re-send them."""

import json
import random
from datetime import datetime, timedelta

import pytest

from assets.playlists import sync_events as events
from assets.playlists.plan import Item, apply_step, Add, Move, Remove, Replace
from assets.playlists.push import MANAGED, PushConfig, push_user
from resources.spotify_errors import (SpotifyQuotaExceeded, SpotifyRateLimited, SpotifyUnavailable,
                                      SpotifyWriteUncertain)
from resources.warehouse import Warehouse
from tests.push.simulated import SimulatedSpotify

USER = "alice"
T0 = datetime(2026, 3, 1, 12, 0)


class Crash(BaseException):
    """The process dies at this request: nothing after it runs, no except clause catches it."""


class FaultySpotify(SimulatedSpotify):
    """Counts every request; at request `at` (0-based, of this instance) injects `fault`."""

    def __init__(self, playlists=None, page_size=50):
        super().__init__(playlists, page_size)
        self.fault: str | None = None
        self.at = -1
        self.count = 0

    def _tick(self, write: bool, apply):
        index, self.count = self.count, self.count + 1
        if index == self.at and self.fault is not None:
            fault, self.fault = self.fault, ("read_fails" if self.fault == "applied_502_reread_fails" else None)
            if fault in ("applied_502", "applied_502_reread_fails"):
                if write:
                    apply()
                    raise SpotifyWriteUncertain("write", "502 Bad Gateway")
                raise SpotifyUnavailable("read", "502")
            if fault == "500":
                raise SpotifyWriteUncertain("write", "500") if write else SpotifyUnavailable("read", "500")
            if fault == "429":
                raise SpotifyRateLimited(datetime.utcnow())
            if fault == "quota":
                raise SpotifyQuotaExceeded(datetime.utcnow() + timedelta(hours=8), "quota")
            if fault == "crash_before":
                raise Crash()
            if fault == "crash_after":
                apply()
                raise Crash()
        if self.fault == "read_fails" and not write and index == self.at + 1:
            self.fault = None
            raise SpotifyUnavailable("read", "502")
        return apply()

    def playlist(self, user, playlist_id, fields=None):
        return self._tick(False, lambda: SimulatedSpotify.playlist(self, user, playlist_id, fields))

    def playlist_items_page(self, user, playlist_id, offset, limit=50, fields=None):
        return self._tick(False, lambda: SimulatedSpotify.playlist_items_page(self, user, playlist_id, offset))

    def my_playlists_page(self, user, offset, limit=50):
        return self._tick(False, lambda: SimulatedSpotify.my_playlists_page(self, user, offset))

    def create_playlist(self, user, name, description, public=False):
        return self._tick(True, lambda: SimulatedSpotify.create_playlist(self, user, name, description, public))

    def _write(self, kind, playlist_id, step):
        self.requests += 1
        self.clock += 1
        return self._tick(True, lambda: self._apply(kind, playlist_id, step))


def uris(n, start=0):
    return [f"spotify:track:t{i}" for i in range(start, start + n)]


def scenario(kind: str, seed: int) -> tuple[list[str], list[str], int]:
    """(what the first push leaves, the new target, split limit) for one kind of push."""
    rng = random.Random(seed)
    base = uris(rng.randint(60, 160))
    if kind == "append":
        return base, base + uris(rng.randint(1, 150), 1000), 10_000
    if kind == "remove":
        doomed = set(rng.sample(range(len(base)), rng.randint(1, len(base) // 3)))
        return base, [u for p, u in enumerate(base) if p not in doomed], 10_000
    if kind == "reorder":
        target = list(base)
        for _ in range(rng.randint(1, 4)):
            a, b = sorted(rng.sample(range(len(target)), 2))
            target[a:b] = reversed(target[a:b])
        return base, target, 10_000
    if kind == "replace":
        return base, uris(rng.randint(50, 220), 2000) + base[:3], 10_000
    if kind == "split":  # 60-per-part playlists: grows into a new part and shuffles inside the first
        target = base[:30] + uris(rng.randint(40, 90), 3000) + base[30:]
        return base, target, 60
    raise ValueError(kind)


def parts(target, limit):
    return [target[i:i + limit] for i in range(0, len(target), limit)] or [[]]


class World:
    """One user's warehouse (DuckDB) and remote, pushed the way the asset pushes."""

    def __init__(self, tmp_path, limit):
        self.warehouse = Warehouse(data_dir=str(tmp_path / "data"))
        self.spotify = FaultySpotify()
        self.limit = limit
        self.minute = 0

    def push(self, target, run_id, rule_hash="r2"):
        self.minute += 1
        now = T0 + timedelta(minutes=self.minute)
        wanted = {"Mix": {"uris": target, "rule_hash": rule_hash, "base_source": "library"}}
        return push_user(self.spotify, self.warehouse, USER, wanted, PushConfig(), run_id=run_id,
                         log=lambda _: None, sleep=lambda _: None, now=lambda: now, limit=self.limit)

    def ingest_listing(self):
        """raw.playlists as an ingest after the last push would store it: current snapshots."""
        import polars as pl
        self.minute += 1
        rows = [{"user_id": USER, "playlist_id": pid, "name": meta["name"], "owner_id": USER,
                 "snapshot_id": f"s{self.spotify.snapshots[pid]}", "description": meta["description"],
                 "fetched_at": T0 + timedelta(minutes=self.minute)} for pid, meta in self.spotify.created.items()]
        self.warehouse.replace_partition("raw.playlists", USER, pl.DataFrame(rows))

    def remote(self):
        managed = self.warehouse.read(MANAGED, user_id=USER).sort("part")
        return [[i.uri for i in self.spotify.playlists[pid]] for pid in managed["playlist_id"]]


FAULTS = ["applied_502", "applied_502_reread_fails", "500", "429", "quota", "crash_before", "crash_after"]
KINDS = ["append", "remove", "reorder", "replace", "split"]


def clean_requests(tmp_path, kind, seed):
    before, target, limit = scenario(kind, seed)
    world = World(tmp_path / "clean", limit)
    world.push(before, "r0", rule_hash="r1")
    world.ingest_listing()
    start = world.spotify.count
    world.push(target, "r1")
    return world.spotify.count - start


def run_with_fault(tmp_path, kind, seed, fault, at):
    before, target, limit = scenario(kind, seed)
    world = World(tmp_path / f"{fault}-{at}", limit)
    (first,) = world.push(before, "r0", rule_hash="r1")
    assert first["status"] == events.COMPLETED
    world.ingest_listing()
    world.spotify.fault, world.spotify.at = fault, world.spotify.count + at
    try:
        world.push(target, "r1")
    except Crash:
        pass
    world.spotify.fault = None  # the faults belong to the run that met them
    (final,) = world.push(target, "r2")  # push only: no ingest in between
    remote = world.remote()
    expected = parts(target, limit)
    assert remote[:len(expected)] == expected, (kind, fault, at, final["error_message"])
    assert all(p == [] for p in remote[len(expected):])
    assert len(world.spotify.created) == len(expected)  # no playlist made twice
    stored = events.from_frame(world.warehouse.read(events.TABLE, user_id=USER))
    assert not [e for e in stored if e["status"] == events.IN_PROGRESS]
    assert final["status"] in (events.COMPLETED, events.SKIPPED), final["error_message"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_fault_at_any_request_is_healed_by_the_next_push_only_run(tmp_path, kind):
    seed = KINDS.index(kind) + 1
    n = clean_requests(tmp_path, kind, seed)
    assert n > 0
    for fault in FAULTS:
        for at in range(n):
            run_with_fault(tmp_path, kind, seed, fault, at)
