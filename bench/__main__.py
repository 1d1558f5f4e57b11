"""`python -m bench [name ...] [--quick] [--runs N]`: run benchmarks, print tables, write JSON.

With --runs N each benchmark runs N times in turn and its table shows every metric's median
(verdict on the median) and range; the JSON keeps every run's values.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable
from typing import cast

from bench.common import Report, combine_runs, render_table, write_json

# Benchmark name -> module with `run(quick: bool) -> Report`.
BENCHMARKS: dict[str, str] = {
    "wire": "bench.wire_bytes",
    "tally": "bench.tally_read",
    "staff_pages": "bench.commune_pages",
    "province_page": "bench.province_page",
    "campaign": "bench.campaign_report",
    "province": "bench.province_pages",
    "ingest": "bench.ingest",
    "sync2g": "bench.sync2g",
    "tui": "bench.tui",
    "load": "bench.load",
}


def run_one(name: str, quick: bool) -> Report:
    """Import and run one benchmark, timing it as a whole."""
    module = importlib.import_module(BENCHMARKS[name])
    runner = cast(Callable[[bool], Report], module.run)
    started = time.perf_counter()
    report = runner(quick)
    report.elapsed_s = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (all by default); exit 1 if one could not run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of {list(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--runs", type=int, default=1, metavar="N", help="run each N times, report medians"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    names: list[str] = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    broken: list[str] = []
    summary: list[str] = []
    for name in names:
        runs: list[Report] = []
        try:
            for index in range(1, args.runs + 1):
                of = f", run {index}/{args.runs}" if args.runs > 1 else ""
                print(f"-- running {name}{' (quick)' if args.quick else ''}{of} …", flush=True)
                runs.append(run_one(name, args.quick))
        except Exception:
            traceback.print_exc()
            broken.append(name)
            summary.append(f"{name}: ERROR")
            continue
        report = combine_runs(runs)
        print(render_table(report), flush=True)
        path = write_json(report)
        print(f"  wrote {path}", flush=True)
        summary.append(f"{name}: {'all targets met' if report.passed else 'target missed'}")
    print("\n".join(["== summary", *summary]))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
