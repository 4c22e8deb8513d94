"""Top tracks, artists and albums end to end: the sandbox over real HTTP, a logged-in user, a DuckDB
warehouse, the real assets under `dg.materialize`, and a movable clock (sandbox and mixtape move
together). Requests are counted at the sandbox."""

import math

import dagster as dg
import pytest
import requests
import spotipy

from assets.listening.top_albums import top_albums
from assets.listening.top_items import top_artists, top_tracks
from assets.listening.top_logic import RANGES
from resources.warehouse import Warehouse
from tests.ingest.conftest import Ingest, small_library, start

TOP_ROUTE = "GET /v1/me/top/{type}"
HOUR = 3600.0


@pytest.fixture(params=["devmode", "extended"])
def top(request, tmp_path, monkeypatch):
    library = small_library()
    library.profile = request.param
    running = start(library, tmp_path, monkeypatch, Warehouse(storage="duckdb", data_dir=str(tmp_path / "data")))
    running.clock.to_midday()  # a day's reads never straddle midnight
    yield running
    running.sandbox.stop()


def materialize(ingest: Ingest) -> dg.ExecuteInProcessResult:
    ingest.instance.add_dynamic_partitions("spotify_users", [ingest.user])
    return dg.materialize([top_tracks, top_artists, top_albums], partition_key=ingest.user, instance=ingest.instance,
                          resources=ingest.resources())


def listed(ingest: Ingest) -> dict[tuple[str, str], int]:
    """How many top items of each (kind, range) the latest read stored."""
    found = {}
    for kind in ("tracks", "artists"):
        for time_range, n in ingest.sql(f"select time_range, count(*) from top_{kind} where latest group by 1"):
            found[(kind, time_range)] = n
    return found


def top_requests(ingest: Ingest) -> int:
    """Top-items requests since the last reset, counted at the sandbox."""
    return requests.get(f"{ingest.sandbox.url}/_sandbox/stats", timeout=5).json()["requests"].get(TOP_ROUTE, 0)


def minimum_requests(result: dg.ExecuteInProcessResult) -> int:
    """What the top-items assets report as the least their reads could cost (the demo's summary adds it up)."""
    return sum(event.materialization.metadata["minimum_requests"].value
               for event in result.get_asset_materialization_events()
               if "minimum_requests" in event.materialization.metadata)


def test_a_cold_read_costs_ceil_n_over_50_per_range_and_type(top):
    result = materialize(top)
    assert result.success
    counts = listed(top)
    assert set(counts) == {(kind, r) for kind in ("tracks", "artists") for r in RANGES}
    assert any(n > 50 for n in counts.values())  # at least one list takes a second page
    assert top_requests(top) == sum(math.ceil(n / 50) for n in counts.values()) == minimum_requests(result)
    assert top.api_requests() == {}  # nothing of the library is read

    # the stored ranking is Spotify's, in its order
    stored = [r[0] for r in top.sql("select track_id from top_tracks where time_range = 'medium_term' order by rank")]
    sp_ids = _sandbox_ranking(top, "tracks", "medium_term")
    assert stored == sp_ids
    ranks = top.sql("select time_range, min(rank), max(rank), count(*) from top_artists group by 1")
    assert all(low == 1 and high == n for _, low, high, n in ranks)


def test_a_second_run_within_24_hours_costs_nothing_and_a_later_one_refreshes(top):
    assert materialize(top).success
    first = listed(top)
    top.reset()
    top.clock.advance(23 * HOUR)
    fresh = materialize(top)
    assert fresh.success
    assert top_requests(top) == 0 == minimum_requests(fresh)
    assert top.sql("select count(distinct day) from top_tracks") == [(1,)]

    top.clock.advance(1 * HOUR)  # 24 hours after the first read: stale
    assert materialize(top).success
    second = listed(top)
    assert top_requests(top) == sum(math.ceil(n / 50) for n in second.values())
    assert second == first  # the sandbox's list lengths do not change with the day
    # history: both days kept, one ranking per (range, day)
    days = top.sql("select time_range, count(distinct day), count(*), count(distinct (day, rank)) "
                   "from top_tracks group by 1 order by 1")
    assert all(n_days == 2 and rows == ranked for _, n_days, rows, ranked in days)
    assert top.sql("select count(distinct day) from top_artists") == [(2,)]
    assert top.sql("select count(distinct day) from top_albums") == [(2,)]


def test_history_of_a_week_makes_the_top_10_query_answer(top):
    for _ in range(7):
        assert materialize(top).success
        top.next_day()
    assert top.sql("select count(distinct day) from top_tracks where time_range = 'short_term'") == [(7,)]
    moved = top.sql("""
        select now.rank, arg_min(past.rank, past.day) as first_rank, count(*) as days_charted
        from top_tracks now
        join top_tracks past using (user_id, time_range, track_id)
        where now.time_range = 'short_term' and now.latest and now.rank <= 10
        group by all order by now.rank""")
    assert [r[0] for r in moved] == list(range(1, 11))
    assert any(first != now for now, first, _ in moved)  # short-term ranks move from day to day


def test_top_albums_are_derived_without_requests(top):
    assert materialize(top).success
    albums = top.sql("select time_range, rank, album_type, scored_by, top_tracks from top_albums order by 1, 2")
    assert albums and all(kind != "single" for _, _, kind, _, _ in albums)
    scored_by = {row[3] for row in albums}
    extended = top.sandbox.world.library.profile == "extended"
    assert scored_by == ({"rank_and_popularity"} if extended else {"rank"})
    per_range = top.sql("select time_range, sum(top_tracks) from top_albums group by 1")
    singles = top.sql("select time_range, count(*) filter (where album_type = 'single') from top_tracks group by 1")
    tracks = top.sql("select time_range, count(*) from top_tracks group by 1")
    assert dict(per_range) == {r: n - dict(singles)[r] for r, n in tracks}


def _sandbox_ranking(ingest: Ingest, kind: str, time_range: str) -> list[str]:
    """The ranking as the sandbox answers it now, read with a client of the test's own."""
    world = ingest.sandbox.world
    sp = spotipy.Spotify(auth=world.tokens.issue(ingest.user, "test", "", world.clock.now())["access_token"], retries=0)
    sp.prefix = ingest.sandbox.url + "/v1/"
    read = sp.current_user_top_tracks if kind == "tracks" else sp.current_user_top_artists
    page = read(limit=50, time_range=time_range)
    ids = [i["id"] for i in page["items"]]
    while page["next"]:
        page = sp.next(page)
        ids += [i["id"] for i in page["items"]]
    return ids


def test_a_spent_budget_keeps_the_ranges_read_whole_and_the_rest_are_read_when_it_allows(top):
    top.budget_per_day = top.resources()["spotify"].budget.spent_today() + 3  # 3 more requests today
    result = materialize(top)
    assert result.success and top_requests(top) == 3
    first = listed(top)
    stops = [m.metadata for node in ("listening__top_tracks", "listening__top_artists")
             for m in result.asset_materializations_for_node(node) if "stopped" in m.metadata]
    assert first and stops and len(first) < 6
    top.budget_per_day = None
    top.reset()
    assert materialize(top).success  # the same day: only what the first run did not read
    final = listed(top)
    assert len(final) == 6 and all(final[pair] == n for pair, n in first.items())  # what was stored was whole
    assert top_requests(top) == sum(math.ceil(n / 50) for pair, n in final.items() if pair not in first)
