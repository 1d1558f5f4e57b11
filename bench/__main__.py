"""`python -m bench [name ...] [--quick] [--runs N]`: run benchmarks, print tables, write JSON.

With --runs N each benchmark runs N times in turn and its table shows every metric's median
(verdict on the median) and range; the JSON keeps every run's values. `python -m bench ingest
--against REV [--runs N]` measures this checkout and git revision REV side by side in N
alternating pairs (bench/ingest_against.py).
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
    "province": "bench.province_page",
    "campaign": "bench.campaign_report",
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
    parser.add_argument(
        "--against",
        metavar="REV",
        help="ingest only: this checkout beside git revision REV, N alternating pairs",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.against is not None:
        if args.names != ["ingest"]:
            parser.error("--against compares the ingest benchmark only: python -m bench ingest")
        return _against(args.against, args.quick, args.runs)
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


def _against(rev: str, quick: bool, runs: int) -> int:
    """`ingest --against REV`: print and save the side-by-side table; 1 if it could not run."""
    from bench.checkout import GitError
    from bench.ingest_against import run_against

    print(f"-- running ingest against {rev}{' (quick)' if quick else ''}, {runs} pair(s) …")
    started = time.perf_counter()
    try:
        report = run_against(quick, runs, rev)
    except GitError as exc:
        print(f"cannot check out {rev}: {exc}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        return 1
    report.elapsed_s = time.perf_counter() - started
    print(render_table(report), flush=True)
    print(f"  wrote {write_json(report)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
