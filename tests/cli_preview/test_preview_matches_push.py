"""The requests a preview says a push would spend are the requests the real push then spends (counted at the
sandbox), and its adds, removes and moves are the push's: the estimate reads only the warehouse."""

import pytest

from assets.playlists.push_preview import preview_push
from pipelines.commands.preview import push_state
from tests.push.conftest import clock, env, push, remote, sandbox, spotify, uri, warehouse  # noqa: F401 (fixtures)

BASE = [uri(i) for i in range(150)]


def estimate(warehouse, child: str, target: list[str], rule_hash: str = "r1"):
    managed, listing, stored = push_state(warehouse, "alice")
    parts = {m["part"]: m for m in managed if m["child_id"] == child}
    return preview_push("alice", child, child, target, parts, listing, stored, rule_hash)


def spent(remote) -> int:
    return sum(n for route, n in remote.stats().items() if " /v1/" in route)


@pytest.mark.parametrize("change", ["new playlist", "no change", "reordered and edited", "emptied by a new rule"])
def test_the_estimate_is_what_the_push_spends(change, push, warehouse, remote, clock):
    target = BASE
    if change != "new playlist":
        push({"Running": BASE})
        clock.advance(120)
        target = {"no change": BASE,
                  "reordered and edited": [BASE[1], BASE[0], *BASE[2:140], uri(300), uri(301)],
                  "emptied by a new rule": []}[change]
    rule_hash = "r2" if change == "emptied by a new rule" else "r1"
    expected = estimate(warehouse, "Running", target, rule_hash)
    remote.reset()
    (event,) = push({"Running": target}, rule_hash=rule_hash)
    assert event["status"] == ("skipped" if change == "no change" else "completed")  # skipped: nothing to write
    assert spent(remote) == expected.requests == event["api_requests"]
    assert (event["adds"], event["removes"], event["moves"]) == (
        expected.total("adds"), expected.total("removes"), expected.total("moves"))
