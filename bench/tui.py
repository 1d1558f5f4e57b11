"""TUI: launch until the new-entry form takes keys, and saving with 100,000 entries stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Report, median, percentile
from bench.entries import EntryMaker
from bench.laptop import bulk_fill, offline_store, province_villages

FULL_ENTRIES = 100_000
QUICK_ENTRIES = 10_000
SAVE_TARGET_MS = 15.0
LAUNCH_TARGET_S = 1.0
LAUNCH_SCRIPT = Path(__file__).with_name("tui_launch.py")


def measure_saves(report: Report, quick: bool) -> None:
    """Fill a store in bulk, then time Store.save_entries([entry]) one entry at a time."""
    stored = QUICK_ENTRIES if quick else FULL_ENTRIES
    saves = 200 if quick else 1000
    report.params |= {"entries_stored": stored, "saves_timed": saves}
    villages = province_villages()[:3]
    maker = EntryMaker(seed=11, villages=[v.code for v in villages])
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        store = offline_store(Path(tmp), villages)
        try:
            started = time.perf_counter()
            bulk_fill(store, maker, stored)
            report.params["bulk_fill_s"] = round(time.perf_counter() - started, 1)
            fresh = maker.entries(saves + 20)
            for entry in fresh[:20]:  # warm the connection pool and statement caches
                store.save_entries([entry])
            times: list[float] = []
            for entry in fresh[20:]:
                t0 = time.perf_counter()
                store.save_entries([entry])
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            store.close()
    p99 = percentile(times, 99)
    report.add(
        f"save one entry, p99 ({stored:,} stored)",
        p99,
        "ms",
        f"≤ {SAVE_TARGET_MS:.0f} ms",
        f"{p99 / SAVE_TARGET_MS:.2f}× target",
        p99 <= SAVE_TARGET_MS,
    )
    report.add("save one entry, p50", median(times), "ms")
    report.add("save one entry, max", max(times), "ms")


def measure_launch(report: Report, quick: bool) -> None:
    """Start the app in fresh interpreters and time spawn → new-entry form focused."""
    runs = 3 if quick else 5
    results: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-tui-launch-") as tmp:
        villages = province_villages()[:3]
        offline_store(Path(tmp), villages).close()
        env = os.environ | {"FIELDKIT_HOME": tmp, "PYTHONPATH": str(ROOT)}
        for _ in range(runs):
            t0 = time.time()
            out = subprocess.run(
                [sys.executable, str(LAUNCH_SCRIPT), tmp, repr(t0)],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
                cwd=ROOT,
            )
            if out.returncode != 0:
                raise RuntimeError(f"launch script failed: {out.stderr[-2000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    total = median([r["form_ready_s"] for r in results])
    report.add(
        "launch → new-entry form ready (median)",
        total,
        "s",
        f"≤ {LAUNCH_TARGET_S:.0f} s",
        f"{total / LAUNCH_TARGET_S:.2f}× target",
        total <= LAUNCH_TARGET_S,
    )
    for part in ("imported_s", "home_ready_s", "form_open_s"):
        if part in results[0]:
            report.add(
                f"  {part.removesuffix('_s')} (median)", median([r[part] for r in results]), "s"
            )
    report.params["launch_runs"] = runs


def run(quick: bool) -> Report:
    """Both TUI figures."""
    report = Report("tui", quick)
    try:
        measure_launch(report, quick)
    except Exception as exc:
        report.note(f"launch not measured: {type(exc).__name__}: {str(exc)[-300:]}")
    measure_saves(report, quick)
    return report
