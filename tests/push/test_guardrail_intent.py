"""The removal guardrail knows intent: the rule hash in marts.child_playlists tells a rule edit from
inputs that shrank. A rule edit, a forced push and the surplus parts of a split playlist may remove
much; the same removal under an unchanged rule is refused loudly, the remote left as it was.

Tracklists go through the warehouse (a real DuckDB file) and `tracklists`, as the push asset reads
them; the remote is the in-memory playlist service."""

from datetime import datetime, timedelta

import polars as pl

from assets.playlists import sync_events as events
from assets.playlists.push import CHILD_PLAYLISTS, MANAGED, TRACKLISTS, PushConfig, push_user, tracklists
from resources.warehouse import Warehouse
from tests.push.simulated import SimulatedSpotify

USER = "alice"
T0 = datetime(2026, 3, 1, 12, 0)


def uris(n, start=0):
    return [f"spotify:track:t{i}" for i in range(start, start + n)]


class World:
    def __init__(self, tmp_path):
        self.warehouse = Warehouse(data_dir=str(tmp_path / "data"))
        self.spotify = SimulatedSpotify()
        self.minute = 0

    def rules(self, lists: dict[str, tuple[str, list[str]]]) -> None:
        """What the rules stage stores: child -> (rule hash, tracklist)."""
        tracks = [{"child_playlist": child, "position": p, "track_uri": u, "track_id": u.rsplit(":", 1)[-1]}
                  for child, (_, target) in lists.items() for p, u in enumerate(target)]
        summary = [{"child_playlist": child, "rule_hash": rule_hash, "status": "built" if target else "empty",
                    "tracks": len(target), "reason": None if target else "no track passes the filter"}
                   for child, (rule_hash, target) in lists.items()]
        self.warehouse.replace_partition(TRACKLISTS, USER, pl.DataFrame(tracks, schema={
            "child_playlist": pl.String, "position": pl.Int32, "track_uri": pl.String, "track_id": pl.String}))
        self.warehouse.replace_partition(CHILD_PLAYLISTS, USER, pl.DataFrame(summary))

    def push(self, **config) -> dict[str, dict]:
        self.minute += 1
        now = T0 + timedelta(minutes=self.minute)
        wanted = tracklists(self.warehouse.read(TRACKLISTS, user_id=USER),
                            self.warehouse.read(CHILD_PLAYLISTS, user_id=USER))
        finished = push_user(self.spotify, self.warehouse, USER, wanted, PushConfig(**config),
                             run_id=f"run{self.minute}", log=lambda _: None, sleep=lambda _: None, now=lambda: now)
        return {e["child_playlist"]: e for e in finished}

    def remote(self, child="Mix") -> list[list[str]]:
        managed = self.warehouse.read(MANAGED, user_id=USER).filter(pl.col("child_playlist") == child).sort("part")
        return [[i.uri for i in self.spotify.playlists[pid]] for pid in managed["playlist_id"]]


def pushed(world, child, rule_hash, target):
    world.rules({child: (rule_hash, target)})
    assert world.push()[child]["status"] == events.COMPLETED
    assert world.remote(child) == [target]


def test_a_rule_edit_that_removes_most_of_a_playlist_is_pushed(tmp_path):
    world = World(tmp_path)
    pushed(world, "Mix", "r1", uris(120))
    world.rules({"Mix": ("r2", uris(40))})
    event = world.push()["Mix"]
    assert event["status"] == events.COMPLETED, event["error_message"]
    assert world.remote() == [uris(40)] and event["removes"] == 80


def test_the_same_removal_under_an_unchanged_rule_is_refused_until_forced(tmp_path):
    world = World(tmp_path)
    pushed(world, "Mix", "r1", uris(120))
    writes = len(world.spotify.writes)
    world.rules({"Mix": ("r1", uris(40))})  # the inputs shrank, the rule did not change
    event = world.push()["Mix"]
    assert event["status"] == events.FAILED and event["error_message"].startswith("refused:")
    assert world.remote() == [uris(120)] and len(world.spotify.writes) == writes
    stored = events.from_frame(world.warehouse.read(events.TABLE, user_id=USER))
    assert stored[-1]["status"] == events.FAILED and stored[-1]["error_message"].startswith("refused:")

    other = world.push(force=["Other"])["Mix"]  # forcing another child playlist changes nothing here
    assert other["status"] == events.FAILED and world.remote() == [uris(120)]

    forced = world.push(force=["Mix"])["Mix"]
    assert forced["status"] == events.COMPLETED, forced["error_message"]
    assert world.remote() == [uris(40)]


def test_a_rule_that_now_matches_nothing_is_refused_unless_the_rule_changed(tmp_path):
    world = World(tmp_path)
    pushed(world, "Mix", "r1", uris(60))
    world.rules({"Mix": ("r1", [])})
    assert world.warehouse.read(CHILD_PLAYLISTS, user_id=USER)["status"].to_list() == ["empty"]
    refused = world.push()["Mix"]  # an event, not silence
    assert refused["status"] == events.FAILED and refused["error_message"].startswith("refused:")
    assert world.remote() == [uris(60)]

    world.rules({"Mix": ("r2", [])})
    emptied = world.push()["Mix"]
    assert emptied["status"] == events.COMPLETED, emptied["error_message"]
    assert world.remote() == [[]] and emptied["removes"] == 60


def test_the_surplus_parts_of_a_split_playlist_are_emptied_when_the_rule_changed(tmp_path):
    world = World(tmp_path)
    big = uris(19_022)
    world.rules({"Mix": ("r1", big)})
    assert world.push()["Mix"]["status"] == events.COMPLETED
    assert world.remote() == [big[:10_000], big[10_000:]]

    target = big[:4_000] + big[15_000:]  # 9,022 tracks: one part
    world.rules({"Mix": ("r2", target)})
    event = world.push()["Mix"]
    assert event["status"] == events.COMPLETED, event["error_message"]
    assert world.remote() == [target, []]
