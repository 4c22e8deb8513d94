"""The push executor against an in-memory playlist service: re-plans after uncertain writes,
never re-sends blindly, honours the guardrail and dry runs, and skips what has not changed."""

import pytest

from assets.playlists import sync_events as events
from assets.playlists.plan import Item
from assets.playlists.push import MARKER, PushFailed, PushPolicy, push_child, push_part, utcnow
from tests.push.simulated import SimulatedSpotify, rate_limited, uncertain

URIS = [f"spotify:track:t{i}" for i in range(120)]
NEW = [f"spotify:track:n{i}" for i in range(30)]


def playlist(uris):
    return [Item(uri, f"old{p}") for p, uri in enumerate(uris)]


def uris_of(spotify, playlist_id="p"):
    return [item.uri for item in spotify.playlists[playlist_id]]


def old_survivors(spotify, playlist_id="p"):
    return {item.added_at for item in spotify.playlists[playlist_id] if item.added_at.startswith("old")}


CHANGES = {
    "add": (URIS, URIS[:50] + NEW[:5] + URIS[50:]),
    "remove": (URIS, URIS[:40] + URIS[60:]),
    "reorder": (URIS, URIS[:10] + URIS[20:90] + URIS[10:20] + URIS[90:]),
    "replace": (URIS, NEW + URIS[:2]),
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
@pytest.mark.parametrize("applied", [True, False])
def test_an_uncertain_write_is_re_read_and_re_planned_not_re_sent(kind, applied):
    before, target = CHANGES[kind]
    spotify = SimulatedSpotify({"p": playlist(before)})
    spotify.faults.append((kind, applied, uncertain()))
    outcome = push_part(spotify, "alice", "p", target, PushPolicy(rule_changed=True, verify=True), log=lambda _: None)
    assert uris_of(spotify) == target
    promised = {f"old{p}" for p in outcome.plan.kept}
    assert promised <= old_survivors(spotify)
    first, replan, *_ = outcome.plans
    assert outcome.plans[-1].requests == 0  # the verification read found nothing left to do
    if applied:  # the uncertain write landed: the re-plan must not send it again
        assert len(spotify.writes) == first.requests


def test_a_rate_limited_write_waits_then_re_plans():
    spotify = SimulatedSpotify({"p": playlist(URIS)})
    spotify.faults.append(("add", False, rate_limited(0.5)))
    waits = []
    push_part(spotify, "alice", "p", URIS + NEW, PushPolicy(), log=lambda _: None, sleep=waits.append)
    assert uris_of(spotify) == URIS + NEW
    assert len(waits) == 1 and 0 < waits[0] <= 0.5


def test_a_long_retry_after_ends_the_push():
    spotify = SimulatedSpotify({"p": playlist(URIS)})
    spotify.faults.append(("add", False, rate_limited(3600)))
    with pytest.raises(Exception, match="rate limit"):
        push_part(spotify, "alice", "p", URIS + NEW, PushPolicy(), log=lambda _: None, sleep=lambda _: None)


def test_bounded_attempts_then_a_clear_failure():
    spotify = SimulatedSpotify({"p": playlist(URIS)})
    spotify.faults += [("add", False, uncertain()) for _ in range(5)]
    with pytest.raises(PushFailed, match="3 attempts"):
        push_part(spotify, "alice", "p", URIS + NEW, PushPolicy(max_attempts=3), log=lambda _: None)
    assert len(spotify.faults) == 2


def test_unchanged_costs_no_write():
    spotify = SimulatedSpotify({"p": playlist(URIS)})
    outcome = push_part(spotify, "alice", "p", URIS, PushPolicy(), log=lambda _: None)
    assert outcome.write_requests == 0 and spotify.writes == []


def test_guardrail_refuses_and_writes_nothing():
    spotify = SimulatedSpotify()
    first = run_child(spotify, URIS, {})
    playlist_id, writes = first.rows[1]["playlist_id"], len(spotify.writes)
    refused = run_child(spotify, URIS[:10], first.rows)
    assert refused.event["status"] == events.FAILED and refused.event["error_message"].startswith("refused:")
    assert len(spotify.writes) == writes and uris_of(spotify, playlist_id) == URIS
    forced = run_child(spotify, URIS[:10], first.rows, PushPolicy(force=True))
    assert forced.event["status"] == events.COMPLETED and uris_of(spotify, playlist_id) == URIS[:10]


def test_dry_run_plans_without_writing():
    spotify = SimulatedSpotify({"p": playlist(URIS)})
    outcome = push_part(spotify, "alice", "p", URIS + NEW, PushPolicy(dry_run=True), log=lambda _: None)
    assert outcome.plan.strategy == "append" and spotify.writes == []


def run_child(spotify, tracks, managed, policy=PushPolicy(), limit_mode="split", recorded=None, limit=10_000):
    event = events.start_event("alice", "Mix", utcnow())
    return push_child(spotify, "alice", "Mix", tracks, managed, policy, "h1", limit_mode, event,
                      record=(recorded.append if recorded is not None else lambda rows: None), log=lambda _: None,
                      limit=limit)


def test_a_new_child_playlist_is_created_marked_and_recorded_before_it_is_filled():
    spotify = SimulatedSpotify()
    recorded = []
    result = run_child(spotify, URIS, {}, recorded=recorded)
    (row,) = result.rows.values()
    assert recorded and recorded[0][1]["playlist_id"] == row["playlist_id"]
    assert uris_of(spotify, row["playlist_id"]) == URIS
    assert result.event["status"] == events.COMPLETED and result.event["write_requests"] == 2
    assert row["rule_hash"] == "h1" and row["snapshot_id"] == f"s{spotify.snapshots[row['playlist_id']]}"


def test_a_second_push_of_the_same_tracklist_reads_one_snapshot_and_writes_nothing():
    spotify = SimulatedSpotify()
    first = run_child(spotify, URIS, {})
    spent = spotify.requests
    second = run_child(spotify, URIS, first.rows)
    assert spotify.requests - spent == 1
    assert second.event["status"] == events.SKIPPED and second.event["write_requests"] == 0


def test_an_untouched_playlist_is_planned_from_what_was_pushed_without_reading_it():
    spotify = SimulatedSpotify()
    first = run_child(spotify, URIS, {})
    spent = spotify.requests
    second = run_child(spotify, URIS + NEW[:10], first.rows)
    assert spotify.requests - spent == 2  # the snapshot, one append
    assert uris_of(spotify, second.rows[1]["playlist_id"]) == URIS + NEW[:10]


def test_someone_elses_edit_is_noticed_through_the_snapshot():
    spotify = SimulatedSpotify()
    first = run_child(spotify, URIS, {})
    playlist_id = first.rows[1]["playlist_id"]
    spotify.add_items("alice", playlist_id, ["spotify:track:intruder"], position=0)
    run_child(spotify, URIS + NEW[:1], first.rows)
    assert uris_of(spotify, playlist_id) == URIS + NEW[:1]


def test_a_deleted_managed_playlist_is_recreated_not_found_by_name():
    spotify = SimulatedSpotify({"other": playlist(URIS[:3])})
    first = run_child(spotify, URIS[:5], {})
    del spotify.playlists[first.rows[1]["playlist_id"]]
    second = run_child(spotify, URIS[:5], first.rows)
    assert second.rows[1]["playlist_id"] != first.rows[1]["playlist_id"]
    assert uris_of(spotify, "other") == URIS[:3]


def test_tracklists_over_the_limit_split_into_parts_or_truncate():
    spotify = SimulatedSpotify()
    result = run_child(spotify, URIS, {}, limit=50)
    assert [len(uris_of(spotify, r["playlist_id"])) for r in result.rows.values()] == [50, 50, 20]
    assert [r["name"] for r in result.rows.values()] == ["Mix", "Mix (2)", "Mix (3)"]
    shrunk = run_child(spotify, URIS[:60], result.rows, PushPolicy(rule_changed=True), limit=50)
    assert [len(uris_of(spotify, r["playlist_id"])) for r in shrunk.rows.values()] == [50, 10, 0]
    truncated = run_child(SimulatedSpotify(), URIS, {}, limit_mode="truncate", limit=50)
    assert len(truncated.rows) == 1 and truncated.event["tracks_processed"] == 50


def test_descriptions_carry_the_marker():
    spotify = SimulatedSpotify()
    result = run_child(spotify, URIS[:3], {})
    description = spotify.created[result.rows[1]["playlist_id"]]["description"]
    assert MARKER in description and description.endswith("[mixtape:alice/Mix]")
    assert result.rows[1]["marker"] == "[mixtape:alice/Mix]"
