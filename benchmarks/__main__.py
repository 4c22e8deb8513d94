"""`python -m benchmarks [--quick]` (`make bench`): every benchmark, one after another, each printing
its figures beside its baseline."""

import subprocess
import sys

BENCHMARKS = ["bench_ingest", "bench_resume", "bench_enrich", "bench_rules", "bench_push"]


def main() -> int:
    extra = sys.argv[1:]
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *extra]).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
