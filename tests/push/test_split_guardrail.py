"""The removal guardrail judges a split child playlist as a whole: splitting it into parts never lets a
shrink of its inputs through. The tracks removed across all its parts weigh against all it held, so the
surplus parts of a rule-unchanged shrink are refused with the rest, while a small shrink that leaves a
part surplus, a rule edit and a forced push empty the surplus parts."""

from assets.playlists import sync_events as events
from assets.playlists.plan import guardrail, split_parts
from assets.playlists.push import MANAGED, PushConfig, push_user, utcnow
from tests.push.conftest import uri


def tracks(n, start=0):
    return [f"spotify:track:t{i}" for i in range(start, start + n)]


def held(before, limit=10_000):
    """What the parts of a pushed tracklist hold, end to end."""
    return [u for part in split_parts(before, limit=limit).parts for u in part]


BIG = tracks(19_022)
SHRUNK = BIG[:8_978] + BIG[10_000:10_022]  # 9,000 tracks: part 1 loses 1,022 of its 10,000, part 2 is surplus


def test_a_shrink_across_parts_under_an_unchanged_rule_is_refused():
    refusal = guardrail(held(BIG), SHRUNK)
    assert refusal.startswith("refused:") and "10022 of 19022" in refusal
    first_part = split_parts(BIG).parts[0]
    assert guardrail(first_part, SHRUNK) is None  # judged alone, part 1 would pass


def test_a_small_shrink_empties_the_surplus_part():
    before, after = tracks(10_001), tracks(9_999)
    assert len(split_parts(before).parts) == 2 and len(split_parts(after).parts) == 1
    assert guardrail(held(before), after) is None


def test_a_forced_push_or_a_changed_rule_may_shrink_across_parts():
    assert guardrail(held(BIG), SHRUNK, force=True) is None
    assert guardrail(held(BIG), SHRUNK, rule_changed=True) is None


def test_tracks_that_only_move_to_another_part_are_not_removals():
    before = tracks(20_000)
    after = before[6_000:]  # 30% gone from the front: each part's own diff would count 60%
    assert guardrail(held(before), after) is None


# --- end to end: the sandbox through the real Spotify resource, parts of LIMIT tracks ------------

LIMIT = 50
PUSHED = [uri(i) for i in range(95)]  # two parts: 50 and 45


def push_split(spotify, warehouse, clock, target, rule_hash, warnings=None, **config) -> dict:
    wanted = {"Running": {"uris": target, "rule_hash": rule_hash, "base_source": "liked"}}
    (event,) = push_user(spotify, warehouse, "alice", wanted, PushConfig(**config), run_id="test",
                         log=lambda _: None, clock=clock, sleep=clock.sleep, now=utcnow,
                         warn=(warnings if warnings is not None else []).append, limit=LIMIT)
    return event


def parts_on_spotify(warehouse, remote) -> list[list[str]]:
    managed = warehouse.read(MANAGED, user_id="alice").filter(child_playlist="Running").sort("part")
    return [remote.uris(playlist_id) for playlist_id in managed["playlist_id"]]


def test_a_split_playlist_shrunk_under_an_unchanged_rule_keeps_every_part(spotify, warehouse, remote, clock):
    assert push_split(spotify, warehouse, clock, PUSHED, "r1")["status"] == events.COMPLETED
    assert parts_on_spotify(warehouse, remote) == [PUSHED[:50], PUSHED[50:]]
    remote.reset()
    shrunk = PUSHED[:45]  # part 1 would lose 5 of 50, part 2 (45) would be emptied: 50 of 95
    warnings = []
    event = push_split(spotify, warehouse, clock, shrunk, "r1", warnings)
    assert event["status"] == events.FAILED and event["error_message"].startswith("refused:")
    assert "50 of 95" in event["error_message"]
    assert any(w.startswith("Running: push failed") and "refused" in w for w in warnings)
    assert remote.writes() == {}
    assert parts_on_spotify(warehouse, remote) == [PUSHED[:50], PUSHED[50:]]

    forced = push_split(spotify, warehouse, clock, shrunk, "r1", force=["Running"])
    assert forced["status"] == events.COMPLETED, forced["error_message"]
    assert parts_on_spotify(warehouse, remote) == [shrunk, []]


def test_a_split_playlist_shrunk_by_a_rule_edit_empties_its_surplus_part(spotify, warehouse, remote, clock):
    assert push_split(spotify, warehouse, clock, PUSHED, "r1")["status"] == events.COMPLETED
    shrunk = PUSHED[:45]
    event = push_split(spotify, warehouse, clock, shrunk, "r2")
    assert event["status"] == events.COMPLETED, event["error_message"]
    assert parts_on_spotify(warehouse, remote) == [shrunk, []]


def test_a_small_shrink_under_an_unchanged_rule_empties_the_one_track_surplus_part(spotify, warehouse, remote, clock):
    assert push_split(spotify, warehouse, clock, PUSHED[:51], "r1")["status"] == events.COMPLETED
    assert parts_on_spotify(warehouse, remote) == [PUSHED[:50], PUSHED[50:51]]
    event = push_split(spotify, warehouse, clock, PUSHED[:49], "r1")
    assert event["status"] == events.COMPLETED, event["error_message"]
    assert parts_on_spotify(warehouse, remote) == [PUSHED[:49], []]
