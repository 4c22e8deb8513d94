"""A cold sync killed at ~90 % resumes where it stopped: the pages it fetched were committed (every 10),
so the killed run plus the resumed one cost the minimum plus one head check (and the one request the
kill cut off in flight, whose answer never arrived)."""

from __future__ import annotations

import dagster as dg

from tests.ingest.conftest import expected_cold_requests
from tests.lifecycle.test_killed_run import SAVED, Env

LIKED_PAGES = 100


def test_a_cold_sync_killed_at_90_percent_resumes_with_one_head_check(tmp_path, monkeypatch):
    env = Env(tmp_path, monkeypatch, liked=LIKED_PAGES * 50)
    try:
        minimum = expected_cold_requests(env.ingest.library(), "alice")
        env.ingest.reset()
        # pages 1-90 answered (committed at 10, 20, ..., 90), the 91st held in flight when the kill comes
        env.kill_at(SAVED, 91, "--stage", "ingest")
        killed = env.ingest.spent()
        assert killed == 91
        env.ingest.reset()
        env.mixtape("--stage", "ingest")
        resumed = env.ingest.spent()
        answered = killed - 1  # the held request never returned a page
        assert answered + resumed == minimum + 1  # + the head check of the resumption
        assert env.ingest.sql("select count(*) from liked_songs")[0][0] == LIKED_PAGES * 50
        assert env.ingest.sql("select count(*) from raw.liked_songs_held")[0][0] == 0
    finally:
        env.stop()
