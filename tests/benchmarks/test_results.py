"""benchmarks/RESULTS.md: one section per benchmark, replaced when it runs again; README's benchmark
figures are the ones it holds."""

import re
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.__main__ import BENCHMARKS, RESULTS, section, sections, write_results

README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_run_replaces_its_sections_and_keeps_the_others(tmp_path):
    path = tmp_path / "RESULTS.md"
    started = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    write_results({"bench_sql": section("bench_sql", [], started, 0, "select 1   0.41   0.20   2.0x\n"),
                   "bench_rules": section("bench_rules", [], started, 0, "old rules table\n")}, path)
    write_results({"bench_rules": section("bench_rules", ["--quick"], started, 1, "new rules table\n")}, path)
    text = path.read_text()
    assert list(sections(text)) == ["bench_rules", "bench_sql"]  # in the order the benchmarks run
    assert "new rules table" in text and "old rules table" not in text and "2.0x" in text
    assert "`python -m benchmarks.bench_rules --quick`" in text and "**Failed** (exit code 1)" in text
    assert "2026-12-01 12:00 UTC" in text and " cores" in text


def test_the_committed_results_hold_every_benchmark():
    assert set(sections(RESULTS.read_text())) == set(BENCHMARKS)


def benchmark_section(readme: str) -> str:
    return readme.split("\n## Benchmarks\n", 1)[1].split("\n## ", 1)[0]


def test_readme_quotes_figures_that_results_hold():
    """Every figure README's benchmark section quotes (written `12.3x` or `326`) is printed in RESULTS.md."""
    quoted = re.findall(r"`(\d[\d.,]*)x?`", benchmark_section(README.read_text()))
    assert len(quoted) >= 10
    results = RESULTS.read_text()
    missing = [q for q in quoted if not re.search(rf"(?<![\d.,]){re.escape(q)}(?![\d])", results)]
    assert missing == []
