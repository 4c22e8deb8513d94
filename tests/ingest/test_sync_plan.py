"""Sync planning without Dagster or HTTP: liked songs over an in-memory library, history, playlists, budgets."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.spotify.sync_plan import (
    LISTING_REUSE_WINDOW, PAGE, ItemsCursor, LikedRow, Page, PlaylistListing, Saved, cold_sync_minimum, held_library,
    merge_liked, needs_full_resync, pages, plan_playlists, reuse_listing, sync_liked, sync_progress,
)
from resources.budget import fair_shares

T0 = datetime(2026, 1, 1)


class Library:
    """Liked Songs as Spotify serves them: newest first, pages of 50; counts and logs fetched offsets."""

    def __init__(self, n: int):
        self.clock = 0
        self.entries: list[Saved] = []
        self.offsets: list[int] = []
        self.like(*[f"t{i}" for i in range(n)])

    def like(self, *track_ids: str) -> None:
        for track_id in track_ids:
            self.clock += 1
            self.entries.insert(0, Saved(track_id, T0 + timedelta(minutes=self.clock)))

    def unlike(self, *track_ids: str) -> None:
        self.entries = [e for e in self.entries if e.track_id not in track_ids]

    def fetch(self, offset: int) -> Page:
        self.offsets.append(offset)
        return Page(offset, self.entries[offset:offset + PAGE], len(self.entries))


def run(library: Library, state, allowance=None, full=False):
    prefix, total = state
    return sync_liked(prefix, total, library.fetch, allowance=allowance, full=full)


def cold(library: Library):
    result = run(library, ([], 0))
    assert result.complete and result.prefix == library.entries
    return (result.prefix, result.total)


@pytest.mark.parametrize("n", [0, 1, 50, 51, 1234])
def test_cold_sync_reads_each_page_once(n):
    library = Library(n)
    result = run(library, ([], 0))
    assert result.prefix == library.entries
    assert result.requests == max(1, pages(n))
    assert sorted(set(library.offsets)) == sorted(library.offsets)


def test_warm_sync_without_changes_costs_one_request():
    library = Library(5000)
    state = cold(library)
    result = run(library, state)
    assert result.requests == 1 and result.new == 0 and result.removed == [] and result.prefix == library.entries


@pytest.mark.parametrize("k", [1, 49, 50, 51, 120])
def test_k_new_likes_cost_their_pages(k):
    library = Library(3000)
    state = cold(library)
    library.like(*[f"new{i}" for i in range(k)])
    result = run(library, state)
    assert result.requests == pages(k + 1)  # a page of only new likes needs the next one to show nothing was removed
    assert result.new == k and result.prefix == library.entries


def test_an_unlike_is_located_with_a_few_probes_not_a_full_read():
    library = Library(10_000)
    state = cold(library)
    gone = library.entries[7321]
    library.unlike(gone.track_id)
    result = run(library, state)
    assert result.removed == [gone] and result.prefix == library.entries
    assert result.requests <= 1 + 2 * 9  # head check + a binary search over 200 pages
    assert result.requests < pages(10_000)


def test_relike_moves_a_track_to_the_top_as_a_new_like():
    library = Library(300)
    state = cold(library)
    track = library.entries[120].track_id
    library.unlike(track)
    library.like(track)
    result = run(library, state)
    assert result.new == 1 and [e.track_id for e in result.removed] == [track]
    assert result.prefix == library.entries


def test_full_resync_ignores_what_is_held():
    library = Library(260)
    state = cold(library)
    library.offsets.clear()
    result = run(library, state, full=True)
    assert result.prefix == library.entries and result.requests == pages(260)


def test_a_cut_short_cold_sync_resumes_where_it_stopped_and_corrects_for_new_likes():
    library = Library(1000)  # 20 pages
    day1 = run(library, ([], 0), allowance=8)
    assert day1.stopped and not day1.complete and len(day1.prefix) == 8 * PAGE
    library.like(*[f"n{i}" for i in range(37)])
    library.offsets.clear()
    day2 = run(library, (day1.prefix, day1.total), allowance=100)
    assert day2.complete and day2.prefix == library.entries
    # head check (page 0 with the 37 new likes) then exactly the pages not read yet, shifted by 37
    assert library.offsets == [0] + [400 + 37 + PAGE * i for i in range(12)]
    assert day1.requests + day2.requests == pages(1000) + 1


@pytest.mark.parametrize("where", ["read", "unread", "both"])
def test_removals_between_days_are_found_and_nothing_is_skipped(where):
    library = Library(2000)
    day1 = run(library, ([], 0), allowance=15)  # 750 entries held
    picks = {"read": [10, 300, 301, 555, 700], "unread": [800, 1200, 1500, 1900, 1999],
             "both": [10, 555, 800, 1500, 1999]}[where]
    library.unlike(*[library.entries[i].track_id for i in picks])
    library.like(*[f"n{i}" for i in range(37)])
    day2 = run(library, (day1.prefix, day1.total), allowance=200)
    assert day2.complete and day2.prefix == library.entries
    read_gone = [i for i in picks if i < 750]
    assert len(day2.removed) == len(read_gone)
    # only locating removals among pages already read costs extra
    assert day2.requests <= 1 + pages(2000 - 750) + 1 + len(read_gone) * 5


def test_allowance_is_never_exceeded():
    library = Library(600)
    result = run(library, ([], 0), allowance=3)
    assert result.requests == 3 and len(library.offsets) == 3 and result.pages_done == 3 and result.pages_total == 12


def test_no_request_at_all_is_not_a_complete_library():
    library = Library(10)
    result = run(library, ([], 0), allowance=0)
    assert not result.complete and result.requests == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), st.lists(st.tuples(st.integers(0, 80), st.lists(st.integers(0, 10_000), max_size=6),
                                                st.integers(1, 6)), min_size=1, max_size=5))
def test_any_mix_of_days_likes_unlikes_and_allowances_ends_equal_to_the_library(n, days):
    library = Library(n)
    state = ([], 0)
    for new, unlike_positions, allowance in days:
        if library.entries:
            library.unlike(*[library.entries[p % len(library.entries)].track_id for p in unlike_positions])
        library.like(*[f"d{library.clock}-{i}" for i in range(new)])
        result = run(library, state, allowance=allowance)
        assert result.requests <= allowance
        unchanged = (result.prefix, result.total) == state  # cut short before the held pages were placed
        assert unchanged or result.prefix == library.entries[:len(result.prefix)]
        state = (result.prefix, result.total)
    final = run(library, state)
    assert final.complete and final.prefix == library.entries


# -- history ---------------------------------------------------------------------------------------


def test_merge_keeps_history_unlikes_and_relikes():
    now1, now2, now3 = T0, T0 + timedelta(days=1), T0 + timedelta(days=2)
    a, b, c = Saved("a", T0), Saved("b", T0 - timedelta(hours=1)), Saved("c", T0 - timedelta(hours=2))
    rows, counts = merge_liked([], [a, b, c], now1)
    assert (counts.new, counts.unliked) == (3, 0)
    rows, counts = merge_liked(rows, [a, c], now2)
    assert counts.unliked == 1
    by_id = {r.track_id: r for r in rows}
    assert by_id["b"].unliked_at == now2 and by_id["b"].position is None
    b_again = Saved("b", now3)
    rows, counts = merge_liked(rows, [b_again, a, c], now3)
    by_id = {r.track_id: r for r in rows}
    assert counts.relikes == 1 and by_id["b"].unliked_at is None and by_id["b"].like_count == 2
    assert by_id["b"].first_liked_at == b.added_at and by_id["b"].liked_at == now3
    assert held_library(rows) == [b_again, a, c]
    again, counts = merge_liked(rows, [b_again, a, c], now3)
    assert counts.unchanged == 3 and counts.new == counts.relikes == counts.unliked == 0


def test_full_resync_due_by_ttl_force_or_never():
    now = T0 + timedelta(days=30)
    assert needs_full_resync(None, now)
    assert needs_full_resync(now - timedelta(days=7), now)
    assert not needs_full_resync(now - timedelta(days=6), now)
    assert needs_full_resync(now, now, force=True)
    assert not needs_full_resync(now - timedelta(days=6), now, ttl=timedelta(days=30))


# -- playlists -------------------------------------------------------------------------------------


def listing(pid, snapshot="s1", owner="alice", collaborative=False, total=120):
    return PlaylistListing(pid, snapshot, owner, collaborative, total)


def test_only_changed_readable_playlists_are_read():
    listings = [listing("same"), listing("edited", "s2"), listing("newone"), listing("theirs", owner="bob"),
                listing("collab", owner="bob", collaborative=True, total=10)]
    plan = plan_playlists("alice", listings, {"same": "s1", "edited": "s1", "deleted": "s9"}, {})
    assert [r.playlist_id for r in plan.reads] == ["edited", "newone", "collab"]
    assert plan.unchanged == ["same"] and plan.gone == ["deleted"] and set(plan.unreadable) == {"theirs"}
    assert sum(r.requests for r in plan.reads) == 3 + 3 + 1
    assert plan_playlists("alice", listings, {}, {}, can_read_any=True).unreadable == {}


def test_half_read_playlist_continues_or_restarts_when_its_snapshot_moved():
    cursors = {"a": ItemsCursor("a", "s1", 100), "b": ItemsCursor("b", "s1", 50)}
    plan = plan_playlists("alice", [listing("a", total=260), listing("b", "s2")], {}, cursors)
    reads = {r.playlist_id: r for r in plan.reads}
    assert reads["a"].offset == 100 and reads["a"].requests == 4
    assert reads["b"].offset == 0 and plan.restarted == ["b"]


# -- budgets and progress --------------------------------------------------------------------------


def test_cold_sync_minimum_counts_pages():
    assert cold_sync_minimum(20_000, 51, [0, 1, 50, 51, 260]) == 400 + 2 + 0 + 1 + 1 + 2 + 6


@pytest.mark.parametrize("budget,needs,expected", [
    (1000, {"a": None, "b": None}, {"a": 500, "b": 500}),
    (1000, {"a": 2, "b": None, "c": None}, {"a": 2, "b": 499, "c": 499}),
    (1000, {"a": 2, "b": 300, "c": None}, {"a": 2, "b": 300, "c": 698}),
    (10, {"a": 100, "b": 100, "c": 100}, {"a": 4, "b": 3, "c": 3}),
    (1000, {"a": 2, "b": 3}, {"a": 500, "b": 500}),   # needs are estimates: the rest is shared too
    (300, {"a": 103}, {"a": 300}),
    (0, {"a": None}, {"a": 0}),
])
def test_fair_shares(budget, needs, expected):
    shares = fair_shares(budget, needs)
    assert shares == expected and sum(shares.values()) == budget


def test_progress_says_when_it_will_be_done():
    progress = sync_progress(300, 451, per_day=300, today=date(2026, 1, 1))
    assert progress.describe() == "300 of 451 pages fetched, expected done by 2026-01-02 at the current budget"
    assert sync_progress(5, 5, 300, date(2026, 1, 1)).complete
    assert sync_progress(0, 2000, per_day=300, today=date(2026, 1, 1)).expected_done == date(2026, 1, 8)


def test_a_listing_is_reused_only_by_a_prompt_resumption_of_a_killed_items_read():
    listed = datetime(2026, 11, 20, 12, 0)
    soon, late = listed + timedelta(minutes=5), listed + LISTING_REUSE_WINDOW
    assert reuse_listing(listed, None, 3, soon)
    assert reuse_listing(listed, listed - timedelta(days=1), 3, soon)  # the items saved last before this listing
    assert not reuse_listing(listed, listed + timedelta(minutes=1), 3, soon)  # the items read finished (budget stop)
    assert not reuse_listing(listed, None, 0, soon)  # nothing behind: a warm run lists again
    assert not reuse_listing(listed, None, 3, late)
    assert not reuse_listing(None, None, 3, soon)
