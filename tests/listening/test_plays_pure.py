"""The pure parts of plays: parsing the export, the merge's tolerances, the poll schedule."""

import bisect
import json
from datetime import datetime, timedelta

import pytest

from assets.listening.plays_import import export_rows, is_export_file, new_export_rows, export_key
from assets.listening.plays_merge import END_TOLERANCE, START_SLACK, merge_plays
from assets.listening.poll_schedule import (
    KEPT, MAX_INTERVAL_S, MIN_INTERVAL_S, PACE_DAYS, TARGET, Poll, bounds, fastest_rate, next_interval_s,
)
from benchmarks.bench_plays import USER, WEEK_START, busiest, listener_week
from sandbox.plays import epoch_ms

T = datetime(2026, 11, 30, 21, 0, 0)


def exported(**fields) -> dict:
    row = {"ts": "2026-11-30T21:00:00Z", "ms_played": 200_000, "spotify_track_uri": "spotify:track:abc",
           "master_metadata_track_name": "Song", "master_metadata_album_artist_name": "Band",
           "master_metadata_album_album_name": "Album", "reason_start": "trackdone", "reason_end": "trackdone",
           "shuffle": False, "skipped": False, "offline": False, "ip_addr": "10.1.2.3",
           "user_agent_decrypted": "agent", "conn_country": "SE", "platform": "ios", "username": "me"}
    return {**row, **fields}


def test_the_export_keeps_only_the_allowed_fields_of_music_plays():
    text = json.dumps([exported(), exported(spotify_track_uri=None, episode_name="Ep", spotify_episode_uri="spotify:episode:x")])
    [row] = export_rows(text)
    assert row == {"played_at": T, "ms_played": 200_000, "track_id": "abc", "track_name": "Song", "artist_name": "Band",
                   "album_name": "Album", "reason_start": "trackdone", "reason_end": "trackdone", "shuffle": False,
                   "skipped": False, "offline": False}


def test_export_files_are_found_by_name_at_any_depth():
    assert is_export_file("Streaming_History_Audio_2024-2025_3.json")
    assert is_export_file("Spotify Extended Streaming History/Streaming_History_Audio_2026_0.json")
    assert not is_export_file("Streaming_History_Video_2024.json")
    assert not is_export_file("Userdata.json")


def test_a_play_already_known_is_not_added_again():
    rows = export_rows(json.dumps([exported(), exported(), exported(ts="2026-11-30T21:05:00Z")]))
    known = {export_key(rows[0])}
    assert new_export_rows(rows, known) == [rows[2]]


def polled(end: datetime, track_id: str = "abc", duration_ms: int = 200_000) -> dict:
    return {"played_at": end, "track_id": track_id, "track_name": "Song", "artist_name": "Band", "album_name": "Album",
            "duration_ms": duration_ms}


def scrobble(start: datetime, track: str = "Song", artist: str = "Band") -> dict:
    return {"started_at": start, "track_name": track, "artist_name": artist, "album_name": "Album"}


def export_play(end: datetime, ms_played: int = 200_000, track_id: str = "abc") -> dict:
    [row] = export_rows(json.dumps([exported(ts=end.isoformat() + "Z", ms_played=ms_played,
                                              spotify_track_uri=f"spotify:track:{track_id}")]))
    return row


@pytest.mark.parametrize("offset, one", [(END_TOLERANCE, True), (END_TOLERANCE + timedelta(seconds=1), False),
                                         (-END_TOLERANCE, True)])
def test_an_export_play_and_a_polled_play_ending_within_the_tolerance_are_one(offset, one):
    merged = merge_plays([export_play(T)], [polled(T + offset)], [])
    assert [p["source"] for p in merged] == (["export"] if one else ["export", "recently_played"])


def test_a_polled_play_of_another_track_at_the_same_time_is_another_play():
    assert len(merge_plays([export_play(T)], [polled(T, track_id="other")], [])) == 2


def test_each_play_matches_at_most_one_play_of_another_source():
    """Two quick replays of one track: two polled plays, two exported, nothing merged twice."""
    merged = merge_plays([export_play(T, 5_000), export_play(T + timedelta(seconds=6), 5_000)],
                         [polled(T + timedelta(milliseconds=400)), polled(T + timedelta(seconds=6, milliseconds=300))], [])
    assert [p["source"] for p in merged] == ["export", "export"]


@pytest.mark.parametrize("start, one", [
    (T - timedelta(milliseconds=200_000), True),                  # the export's start exactly
    (T - timedelta(milliseconds=200_000) - START_SLACK, True),
    (T - timedelta(milliseconds=200_000) - START_SLACK - timedelta(seconds=1), False),
    (T + START_SLACK, True),
    (T + START_SLACK + timedelta(seconds=1), False),
])
def test_a_scrobble_is_the_play_it_started_within(start, one):
    merged = merge_plays([export_play(T)], [], [scrobble(start)])
    assert sorted(p["source"] for p in merged) == (["export"] if one else ["export", "lastfm"])


def test_a_scrobble_matches_by_normalised_names_and_a_polled_play_by_its_duration():
    merged = merge_plays([], [polled(T, duration_ms=180_000)],
                         [scrobble(T - timedelta(seconds=175), track="SONG (feat. Someone)", artist="band")])
    assert [p["source"] for p in merged] == ["recently_played"]
    assert len(merge_plays([], [polled(T)], [scrobble(T - timedelta(seconds=100), track="Other")])) == 2


def test_a_play_only_lastfm_knows_is_stamped_at_its_start_without_a_track_id():
    [play] = merge_plays([], [], [scrobble(T)])
    assert (play["played_at"], play["track_id"], play["ms_played"], play["source"]) == (T, None, None, "lastfm")


def test_a_user_with_no_plays_lately_waits_the_longest():
    limits = bounds(None, 1)
    assert fastest_rate([]) is None
    assert fastest_rate([Poll(0, 40, None)]) is None  # a first poll's plays piled up for as long as anyone knows
    assert fastest_rate([Poll(0, 0, None), Poll(3600, 0, 3600)]) is None
    assert next_interval_s(None, limits) == MAX_INTERVAL_S


def interval(*polls: Poll) -> float:
    return next_interval_s(fastest_rate(polls), bounds(None, 1))


def test_the_next_poll_comes_when_target_plays_would_pile_up_at_the_fastest_pace_lately():
    session = Poll(3600, 30, 3600)
    assert interval(Poll(0, 0, None), session) == pytest.approx(TARGET / (30 / 3600))  # 50 min
    # a quiet poll after it does not slow polling down: listening may start again right after it
    assert interval(Poll(0, 0, None), session, Poll(7200, 2, 3600)) == pytest.approx(TARGET / (30 / 3600))
    assert interval(Poll(0, KEPT, 1800)) == 900  # a full page: sooner by half
    assert interval(Poll(0, KEPT, 600)) == MIN_INTERVAL_S  # but never sooner than allowed
    assert interval(Poll(0, 2, 3600)) == MAX_INTERVAL_S


def test_a_burst_older_than_the_pace_window_is_forgotten():
    burst, later = Poll(0, 30, 3600), Poll(PACE_DAYS * 86400 + 1, 2, 3600)
    assert interval(burst, Poll(PACE_DAYS * 86400 - 1, 2, 3600)) < MAX_INTERVAL_S
    assert interval(burst, later) == MAX_INTERVAL_S


def full_pages(play_times: list[float], first_poll: float, end: float) -> int:
    """Polls of the schedule alone over plays at `play_times` (epoch seconds) that find Spotify's 50 full."""
    polls: list[Poll] = []
    now = first_poll
    while now < end:
        previous = polls[-1].polled_at if polls else None
        new = bisect.bisect_right(play_times, now) - (bisect.bisect_right(play_times, previous) if polls else 0)
        polls.append(Poll(now, new, now - previous if polls else None))
        now += next_interval_s(fastest_rate(polls), bounds(900, 1))
    return sum(1 for poll in polls[1:] if poll.plays >= KEPT)


def test_a_week_of_fast_listening_fills_no_page_whenever_polling_starts():
    """bench_plays' heavy listener who skips half, whose week holds 55 plays in 90 minutes: polls starting at
    any minute of the first 90 never find 50 new plays. (Waiting by the last poll's pace alone, as the
    schedule did before, found a full page for 7 of these 90 starts.)"""
    library = listener_week(7, 80, 0.5)
    times = [epoch_ms(p.played_at) / 1000 for p in library.plays[USER]]
    start = WEEK_START.timestamp()
    assert busiest([t * 1000 for t in times], MAX_INTERVAL_S * 1000) > KEPT
    assert [full_pages(times, start + minute * 60, start + 7 * 86400) for minute in range(90)] == [0] * 90


def test_the_budget_share_stretches_the_shortest_interval():
    assert bounds(900, 1).shortest_s == MIN_INTERVAL_S
    many = bounds(900, 5)  # 5 users may poll 180 times a day in all: every 40 min each
    assert many.shortest_s == pytest.approx(40 * 60)
    assert many.polls_per_day() * 5 <= 900 * 0.2
    starved = bounds(50, 5)
    assert starved.longest_s == starved.shortest_s > MAX_INTERVAL_S
