"""bench_scale --quick: users synced round after round on Parquet keep a bounded number of files per
user-table, live and stored, and their rows are right (no timing is asserted)."""

import json
import subprocess
import sys

import pytest

from resources.warehouse import COMPACT_ABOVE


@pytest.mark.e2e
def test_quick_scale_run_keeps_files_bounded_and_rows_right():
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_scale", "--quick", "--json"],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["rows_right"]
    # the cold sync wrote some user-table more often than the bound, so compaction is what kept it there
    assert max(stored for _, stored in result["files_first"]) > COMPACT_ABOVE
    assert max(live for live, _ in result["files_last"]) <= COMPACT_ABOVE
    # and the files it superseded went with the next hour's sync, in folders written again or not
    assert max(stored for _, stored in result["files_last"]) <= COMPACT_ABOVE
    assert "runs per hour" in done.stdout and "live files/user-table" in done.stdout
