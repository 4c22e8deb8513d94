"""`python -m benchmarks [--quick] [NAME ...]` (`make bench`): every benchmark (or the named ones), one
after another, each printing its figures beside its baseline.

What each prints is also written to benchmarks/RESULTS.md, one section per benchmark stamped with the
machine, the date and the command line; a run replaces the sections of the benchmarks it ran and keeps
the others, so a long benchmark can be run again on its own.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = ["bench_ingest", "bench_resume", "bench_enrich", "bench_rules", "bench_push", "bench_peer", "bench_sql", "bench_plays", "bench_scale"]
RESULTS = Path(__file__).with_name("RESULTS.md")
TITLE = ("# Benchmark results\n\nWritten by `make bench` (`python -m benchmarks [--quick] [NAME ...]`): each section "
         "is what that benchmark printed, replaced whenever it runs again. Timings scale with the machine's load.\n")
_SECTION = re.compile(r"^## (bench_\w+)\n", re.MULTILINE)


def machine() -> str:
    """The processor, cores, memory, system and Python the figures come from."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or platform.machine())
    memory_kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    memory = f", {memory_kb / 2**20:.0f} GiB memory" if memory_kb else ""
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def run_benchmark(name: str, extra: list[str]) -> tuple[int, str]:
    """Run one benchmark in its own process, its output shown as it comes and kept."""
    process = subprocess.Popen([sys.executable, "-m", f"benchmarks.{name}", *extra], stdout=subprocess.PIPE, text=True)
    kept = []
    for line in process.stdout:
        print(line, end="", flush=True)
        kept.append(line)
    return process.wait(), "".join(kept)


def section(name: str, extra: list[str], started: datetime, returncode: int, output: str) -> str:
    command = " ".join(["python -m", f"benchmarks.{name}", *extra])
    status = "" if returncode == 0 else f" **Failed** (exit code {returncode}): the output is what it printed before."
    return (f"## {name}\n\n{started:%Y-%m-%d %H:%M} UTC, `{command}`, on {machine()}.{status}\n\n"
            f"```text\n{output.rstrip()}\n```\n")


def sections(text: str) -> dict[str, str]:
    """The sections of a RESULTS.md, by benchmark name."""
    marks = list(_SECTION.finditer(text))
    return {m.group(1): text[m.start():marks[i + 1].start() if i + 1 < len(marks) else len(text)].rstrip() + "\n"
            for i, m in enumerate(marks)}


def write_results(new: dict[str, str], path: Path = RESULTS) -> None:
    kept = sections(path.read_text()) if path.exists() else {}
    merged = kept | new
    path.write_text(TITLE + "".join(f"\n{merged[name]}" for name in BENCHMARKS if name in merged))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = [a for a in argv if a in BENCHMARKS] or BENCHMARKS
    extra = [a for a in argv if a not in BENCHMARKS]
    failed, new = [], {}
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = datetime.now(UTC)
        returncode, output = run_benchmark(name, extra)
        new[name] = section(name, extra, started, returncode, output)
        write_results(new)  # after each benchmark: a long run interrupted keeps what it measured
        if returncode:
            failed.append(name)
    print(f"\nwritten: {RESULTS}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
