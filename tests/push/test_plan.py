"""The sync planner, checked by applying its plans to a simulated Spotify playlist."""

import itertools
import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.playlists.plan import (
    Add,
    Item,
    Move,
    PlanOptions,
    PlaylistError,
    Remove,
    Replace,
    apply_plan,
    diff_plan,
    guardrail,
    plan_push,
    replace_cost,
    split_parts,
)

LOCAL = "spotify:local:Me:Tapes:Demo+take:128"
ALPHABET = ["spotify:track:a", "spotify:track:b", "spotify:track:c"]
NO_BUDGET = 10**9


def stamped(uris):
    """Current items whose added_at names their original position, so survivors can be traced."""
    return [Item(uri, f"t{position}") for position, uri in enumerate(uris)]


def check_plan(current_uris, target, plan):
    current = stamped(current_uris)
    result = apply_plan(current, plan)
    assert [item.uri for item in result] == list(target)
    assert len(plan.steps) == plan.requests
    # every entry the plan promises to keep is still there with its added_at, and no other survives
    survivors = {item.added_at for item in result if item.added_at != "new"}
    assert survivors == {f"t{p}" for p in plan.kept}
    for p in plan.kept:
        assert Item(current_uris[p], f"t{p}") in result
    shared = sum((Counter(current_uris) & Counter(target)).values())
    assert (plan.removed, plan.added) == (len(current_uris) - shared, len(target) - shared)
    assert plan.final_length == len(target)


def lists_up_to(length, alphabet):
    for n in range(length + 1):
        yield from itertools.product(alphabet, repeat=n)


def test_every_small_pair_of_playlists():
    currents = list(lists_up_to(4, ALPHABET + [LOCAL]))
    targets = list(lists_up_to(4, ALPHABET))
    for current in currents:
        for target in targets:
            for options in (PlanOptions(), PlanOptions(can_remove_local=True))[: 2 if LOCAL in current else 1]:
                plan = plan_push(stamped(current), target, options)
                check_plan(current, target, plan)
                assert plan.requests <= options.budget(plan.replace_requests)


def test_every_small_diff_plan_is_exact_and_keeps_every_shared_track():
    for current in lists_up_to(5, ALPHABET):
        for target in lists_up_to(4, ALPHABET):
            plan = diff_plan(list(current), list(target), NO_BUDGET, replace_cost(len(target)))
            check_plan(current, target, plan)
            shared = sum(min(current.count(u), target.count(u)) for u in ALPHABET)
            assert len(plan.kept) == shared


def test_unchanged_playlist_costs_nothing():
    uris = [f"spotify:track:{i}" for i in range(250)]
    plan = plan_push(stamped(uris), uris)
    assert plan.strategy == "noop" and plan.requests == 0
    assert plan.requests_saved == 3


@pytest.mark.parametrize("k", [1, 99, 100, 101, 250])
def test_appending_k_tracks_costs_ceil_k_over_100(k):
    uris = [f"spotify:track:{i}" for i in range(120)]
    target = uris + [f"spotify:track:new{i}" for i in range(k)]
    plan = plan_push(stamped(uris), target)
    assert plan.strategy == "append"
    assert plan.requests == math.ceil(k / 100)
    assert all(isinstance(step, Add) and step.position is None for step in plan.steps)
    check_plan(uris, target, plan)


def test_removing_ten_of_a_hundred_is_one_positional_delete():
    uris = [f"spotify:track:{i}" for i in range(100)]
    target = [u for i, u in enumerate(uris) if i % 10 != 3]
    plan = plan_push(stamped(uris), target)
    assert plan.strategy == "diff" and plan.requests == 1
    (step,) = plan.steps
    assert isinstance(step, Remove) and all(len(positions) == 1 for _, positions in step.items)
    check_plan(uris, target, plan)


def test_moving_one_track_is_one_reorder():
    uris = [f"spotify:track:{i}" for i in range(50)]
    target = uris[:10] + uris[11:40] + [uris[10]] + uris[40:]
    plan = plan_push(stamped(uris), target)
    assert plan.strategy == "diff"
    assert plan.steps == (Move(10, 1, 40),)
    check_plan(uris, target, plan)


def test_a_block_that_moves_together_is_one_reorder():
    uris = [f"spotify:track:{i}" for i in range(30)]
    target = uris[5:20] + uris[:5] + uris[20:]
    plan = plan_push(stamped(uris), target)
    assert plan.requests == 1 and isinstance(plan.steps[0], Move)
    check_plan(uris, target, plan)


def test_duplicate_removal_names_positions_so_one_copy_stays():
    uris = ["spotify:track:a", "spotify:track:b", "spotify:track:a"]
    target = ["spotify:track:a", "spotify:track:b"]
    plan = plan_push(stamped(uris), target)
    assert plan.steps == (Remove((("spotify:track:a", (2,)),)),)
    check_plan(uris, target, plan)


def test_local_files_are_removed_by_position_where_the_client_can_name_them():
    uris = ["spotify:track:a", LOCAL, "spotify:track:b"]
    plan = plan_push(stamped(uris), ["spotify:track:a", "spotify:track:b"], PlanOptions(can_remove_local=True))
    assert plan.steps == (Remove(((LOCAL, (1,)),)),)
    assert plan_push(stamped(uris), ["spotify:track:a", "spotify:track:b"]).strategy == "replace"


def test_unavailable_entries_force_a_replace():
    current = [Item("spotify:track:a", "t0"), Item(None, "t1")]
    plan = plan_push(current, ["spotify:track:a"])
    assert plan.strategy == "replace"
    assert [i.uri for i in apply_plan(current, plan)] == ["spotify:track:a"]


def test_a_full_change_is_a_replace_put_then_posts():
    uris = [f"spotify:track:{i}" for i in range(150)]
    target = [f"spotify:track:x{i}" for i in range(250)]
    plan = plan_push(stamped(uris), target)
    assert plan.strategy == "replace" and plan.requests == 3 == plan.replace_requests
    assert isinstance(plan.steps[0], Replace) and len(plan.steps[0].uris) == 100
    assert all(isinstance(s, Add) and s.position is None for s in plan.steps[1:])
    check_plan(uris, target, plan)


def test_emptying_a_playlist_is_one_put():
    plan = plan_push(stamped(["spotify:track:a", "spotify:track:b"]), [])
    assert plan.requests == 1


def test_targets_with_local_files_are_refused():
    with pytest.raises(ValueError, match="position 1"):
        plan_push([], ["spotify:track:a", LOCAL])


def test_a_shuffle_too_costly_to_keep_added_at_falls_back_to_replace():
    uris = [f"spotify:track:{i}" for i in range(100)]
    target = uris[::-1]
    plan = plan_push(stamped(uris), target)
    assert plan.strategy == "replace" and plan.requests == 1
    check_plan(uris, target, plan)


def test_the_simulator_rejects_what_spotify_rejects():
    items = stamped(["spotify:track:a", "spotify:track:b"])
    with pytest.raises(PlaylistError):
        apply_plan(items, [Remove((("spotify:track:a", (1,)),))])
    with pytest.raises(PlaylistError):
        apply_plan(items, [Add((LOCAL,))])
    with pytest.raises(PlaylistError):
        apply_plan(items, [Add(tuple(f"spotify:track:{i}" for i in range(101)))])
    assert [i.uri for i in apply_plan(items, [Remove((("spotify:track:a", ()),))])] == ["spotify:track:b"]


def test_guardrail_refuses_emptying_unless_the_rule_changed_or_forced():
    uris = [f"spotify:track:{i}" for i in range(10)]
    assert "10 of 10" in guardrail(uris, [])
    assert guardrail(uris, [], rule_changed=True) is None
    assert guardrail(uris, [], force=True) is None
    assert guardrail(uris, uris[:5]) is None
    assert guardrail(uris, uris[:5], max_remove_share=0.4) is not None
    assert guardrail([], uris) is None


def test_guardrail_weighs_the_removals_a_plan_makes():
    uris = [f"spotify:track:{i}" for i in range(10)]
    current = uris + [None, uris[0]]  # an unavailable entry and a duplicate: both go
    target = uris[6:] + ["spotify:track:new"]
    plan = plan_push(stamped(current), target)
    assert f"{plan.removed} of 12" in guardrail(current, target)


def test_split_and_truncate_at_the_limit():
    uris = [f"spotify:track:{i}" for i in range(25)]
    assert split_parts(uris, limit=10).parts == [uris[:10], uris[10:20], uris[20:]]
    truncated = split_parts(uris, mode="truncate", limit=10)
    assert truncated.parts == [uris[:10]] and "25" in truncated.warning
    assert split_parts(uris[:10], limit=10).parts == [uris[:10]]
    with pytest.raises(ValueError, match="split"):
        split_parts(uris, mode="drop", limit=10)


uri_lists = st.lists(st.integers(0, 40).map(lambda i: f"spotify:track:{i}"), max_size=260)


@settings(max_examples=150, deadline=None)
@given(current=uri_lists, target=uri_lists)
def test_random_pairs_end_exact(current, target):
    plan = plan_push(stamped(current), target)
    check_plan(current, target, plan)
    assert plan.requests <= PlanOptions().budget(plan.replace_requests)


@settings(max_examples=150, deadline=None)
@given(
    current=st.lists(st.integers(0, 10_000), max_size=400, unique=True),
    data=st.data(),
)
def test_random_edits_of_a_playlist_keep_added_at_cheaply(current, data):
    uris = [f"spotify:track:{i}" for i in current]
    dropped = data.draw(st.sets(st.sampled_from(range(len(uris))), max_size=20)) if uris else set()
    target = [u for i, u in enumerate(uris) if i not in dropped]
    for new in data.draw(st.lists(st.integers(10_001, 20_000), max_size=20, unique=True)):
        target.insert(data.draw(st.integers(0, len(target))), f"spotify:track:{new}")
    if len(target) > 1:
        a, b = data.draw(st.integers(0, len(target) - 1)), data.draw(st.integers(0, len(target) - 1))
        target.insert(b, target.pop(a))
    plan = diff_plan(uris, target, NO_BUDGET, replace_cost(len(target)))
    check_plan(uris, target, plan)
    assert len(plan.kept) == len(uris) - len(dropped)
    assert sum(isinstance(s, Move) for s in plan.steps) <= 1
