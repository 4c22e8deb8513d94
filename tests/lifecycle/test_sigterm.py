"""SIGTERM during a long wait inside a run (Spotify's Retry-After) stops `mixtape run` at once, and the
next `mixtape run` finishes with the dead run failed and nothing held back. Real processes, a real
persistent instance, the sandbox over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import dagster as dg

from tests.lifecycle.test_killed_run import HANG_GUARD_S, SAVED, Env

RETRY_AFTER_S = 50  # under the client's 60 s cap, so it waits rather than stops


def test_sigterm_during_a_retry_after_wait_stops_the_run(tmp_path, monkeypatch):
    env = Env(tmp_path, monkeypatch, liked=200)
    try:
        env.ingest.sandbox.sandbox.add_faults([{"route": SAVED, "times": 1, "status": 429, "retry_after": RETRY_AFTER_S}])
        child = env.popen("--stage", "ingest")
        deadline = time.monotonic() + HANG_GUARD_S
        while env.requests(SAVED) < 1:
            assert child.poll() is None, child.communicate()[0]
            assert time.monotonic() < deadline, "the run never sent its first request"
            time.sleep(0.05)
        time.sleep(1)  # into the wait
        os.kill(child.pid, signal.SIGTERM)
        out, _ = child.communicate(timeout=HANG_GUARD_S)
        # stopped by the signal, not by the wait's end and a retry (which would have sent the request again
        # and, the fault spent, finished the run)
        assert env.requests(SAVED) == 1 and child.returncode != 0, out

        out = env.mixtape("--stage", "ingest")
        assert "ingest for alice: ok" in out
        with dg.DagsterInstance.from_config(str(env.home)) as instance:
            statuses = sorted(r.status.value for r in instance.get_runs())
            assert statuses in (["CANCELED", "SUCCESS"], ["FAILURE", "SUCCESS"]), statuses
            assert instance.event_log_storage.get_concurrency_run_ids() == set()
    finally:
        env.stop()
