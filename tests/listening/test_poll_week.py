"""A simulated week of listening polled by the recently-played sensor (the benchmark's simulation, checked):
no play lost, and no more requests than the adaptive schedule promises."""

import pytest

from assets.listening.poll_schedule import KEPT, MAX_INTERVAL_S
from benchmarks.bench_plays import simulate


@pytest.mark.e2e
def test_a_week_of_listening_polled_by_the_sensor_loses_no_play_and_polls_no_sooner_than_promised(tmp_path):
    week = simulate(days=7, plays_per_day=80, skip_share=0.5, workdir=str(tmp_path))  # half skipped: plays come fast
    assert week.made > 7 * 30
    assert week.busiest > KEPT  # a burst a poll at the longest wait would find overflowing
    assert week.captured == week.made
    assert not any(full for *_, full in week.polls[1:])  # no poll found Spotify's 50 overflowing
    assert week.requests == len(week.polls)  # one request a poll
    assert week.early_polls() == 0
    assert 86400 / MAX_INTERVAL_S <= week.requests_per_day <= week.promised_per_day
    assert min(since for _, _, since, _ in week.polls[1:]) < MAX_INTERVAL_S - 60  # busy hours were polled sooner
