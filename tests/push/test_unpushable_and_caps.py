"""Local files in a tracklist are left out of the push and counted, never a crash; the cap on playlists
created per run defers the rest with a visible event; a failed push records the writes it applied."""

from datetime import datetime, timedelta

import json

from assets.playlists import sync_events as events
from resources.spotify_errors import SpotifyQuotaExceeded
from tests.push.test_guardrail_intent import USER, World, uris

LOCAL = "spotify:local:Some+Artist:Some+Album:A+Home+Demo:215"


def test_a_local_file_is_left_out_counted_and_never_breaks_the_push(tmp_path):
    world = World(tmp_path)
    target = uris(4) + [LOCAL] + uris(6, 4)
    world.rules({"Mix": ("r1", target)})
    event = world.push()["Mix"]
    assert event["status"] == events.COMPLETED, event["error_message"]
    assert event["unpushable"] == 1
    assert world.remote() == [uris(10)]
    stored = events.from_frame(world.warehouse.read(events.TABLE, user_id=USER))
    assert stored[-1]["unpushable"] == 1

    again = world.push()["Mix"]  # the local file is not a change to push again
    assert again["status"] == events.SKIPPED and again["write_requests"] == 0 and again["unpushable"] == 1


def test_the_cap_on_created_playlists_defers_the_rest_to_the_next_run(tmp_path):
    world = World(tmp_path)
    children = [f"Mix {i}" for i in range(5)]
    world.rules({child: ("r1", uris(3, 10 * i)) for i, child in enumerate(children)})
    first = world.push(max_created_per_run=2)
    assert len(world.spotify.created) == 2
    done = [c for c, e in first.items() if e["status"] == events.COMPLETED]
    deferred = [c for c, e in first.items() if e["status"] == events.SKIPPED]
    assert len(done) == 2 and len(deferred) == 3
    assert all(first[c]["error_message"].startswith("deferred:") for c in deferred)

    second = world.push(max_created_per_run=2)
    assert len(world.spotify.created) == 4
    assert sum(e["status"] == events.COMPLETED for e in second.values()) == 2
    third = world.push(max_created_per_run=2)
    assert len(world.spotify.created) == 5
    assert all(e["status"] in (events.COMPLETED, events.SKIPPED) and not (e["error_message"] or "")
               for e in third.values())
    for i, child in enumerate(children):
        assert world.remote(child) == [uris(3, 10 * i)]


def test_a_failed_push_records_the_writes_it_applied(tmp_path):
    world = World(tmp_path)
    world.rules({"Mix": ("r1", uris(120))})
    assert world.push()["Mix"]["status"] == events.COMPLETED
    writes = len(world.spotify.writes)
    target = uris(50) + uris(42, 78) + uris(150, 1000)  # 28 removed, 150 added
    world.rules({"Mix": ("r2", target)})
    world.spotify.faults.append(("add", False, SpotifyQuotaExceeded(datetime.utcnow() + timedelta(hours=8), "quota")))
    event = world.push()["Mix"]
    assert event["status"] == events.FAILED
    sent = world.spotify.writes[writes:]
    assert sent and all(kind == "remove" for kind, _ in sent)  # the removals landed, then the quota
    assert world.remote() == [uris(50) + uris(42, 78)]
    assert event["removes"] == 28 and event["adds"] == 0
    assert event["write_requests"] == len(sent) + 1  # the refused add was sent too
    applied = json.loads(event["applied"])
    assert [a["outcome"] for a in applied] == ["ok"] * len(sent) + ["failed"]
    stored = events.from_frame(world.warehouse.read(events.TABLE, user_id=USER))
    assert stored[-1]["removes"] == 28 and stored[-1]["status"] == events.FAILED
