"""TUI: launch until the new-entry form takes keys, and saving with 100,000 entries stored."""

from __future__ import annotations

import compileall
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Report, median, percentile
from bench.entries import EntryMaker
from bench.laptop import bulk_fill, offline_store, province_villages
from fieldkit.store import open_store

FULL_ENTRIES = 100_000
QUICK_ENTRIES = 10_000
SAVE_TARGET_MS = 15.0
LAUNCH_TARGET_S = 1.0
LAUNCH_SCRIPT = Path(__file__).with_name("tui_launch.py")
PIN = "2468"


def interpreter_start(env: dict[str, str]) -> float:
    """Seconds from spawn to exit of `python -c pass`: what any launch pays before our code."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=env, cwd=ROOT, timeout=60)
    return time.perf_counter() - started


def measure_launch(report: Report, home: Path, quick: bool, stored: int) -> None:
    """Start the app in fresh interpreters and time spawn → new-entry form focused.

    Each launch is paired with a bare interpreter start-up measured just before it, so a
    loaded machine shows in both and the ratio stays readable.
    """
    runs = 3 if quick else 5
    # As installed: pip writes fieldkit's bytecode at install, and an editable install's on the
    # first run, unless PYTHONDONTWRITEBYTECODE (set on some machines) forbids it; then every
    # launch would compile the sources again, which no volunteer's laptop does.
    compileall.compile_dir(ROOT / "fieldkit", quiet=1)
    results: list[dict[str, float]] = []
    bare: list[float] = []
    env = os.environ | {"FIELDKIT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        bare.append(interpreter_start(env))
        spawned = time.time()
        out = subprocess.run(
            [sys.executable, str(LAUNCH_SCRIPT), str(home), repr(spawned), PIN],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            cwd=ROOT,
        )
        if out.returncode != 0:
            raise RuntimeError(f"launch script failed: {out.stderr[-1500:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    total = median([r["form_ready_s"] for r in results])
    python = median(bare)
    report.add(
        f"launch → new-entry form ready, median ({stored:,} stored)",
        total,
        "s",
        f"≤ {LAUNCH_TARGET_S:.0f} s",
        f"{total / LAUNCH_TARGET_S:.2f}× target; {total / python:.1f}× python start-up",
        total <= LAUNCH_TARGET_S,
    )
    idle = median([r["idle_after_form_s"] for r in results])
    report.add("  launch → the process idle after the form (home's checks done)", idle, "s")
    first = median([r["unlock_ready_s"] for r in results])
    report.add(
        "launch → first typeable field (PIN), median",
        first,
        "s",
        "",
        f"{first / python:.1f}× python start-up",
    )
    report.add("python interpreter start-up (`python -c pass`), median, same run", python, "s")
    parts = {
        "imported_s": "  python + imports",
        "unlock_to_home_s": "  PIN + Enter → home screen (argon2, home's figures beside it)",
        "n_to_form_s": "  'n' → form, name field focused",
        "cpu_to_form_s": "  CPU time of the app process until the form (less load-sensitive)",
        "cpu_imported_s": "    CPU: python + imports",
        "cpu_unlock_ready_s": "    CPU: … until the PIN field is ready",
        "cpu_home_s": "    CPU: … until home (after PIN)",
    }
    for part, label in parts.items():
        report.add(f"{label} (median)", median([r[part] for r in results]), "s")
    report.params["launch_runs"] = runs


def commit_floor_ms(directory: Path, commits: int) -> list[float]:
    """One-row BEGIN IMMEDIATE/COMMIT latencies of bare sqlite3 with WAL + synchronous=FULL."""
    path = directory / "floor.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
        out: list[float] = []
        for _ in range(commits):
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (payload) VALUES (?)", ("x" * 600,))
            conn.execute("COMMIT")
            out.append((time.perf_counter() - t0) * 1000)
        return out
    finally:
        conn.close()


def run(quick: bool) -> Report:
    """Fill a store in bulk, time app launches on it, then time single-entry saves."""
    report = Report("tui", quick)
    stored = QUICK_ENTRIES if quick else FULL_ENTRIES
    saves = 200 if quick else 1000
    report.params |= {"entries_stored": stored, "saves_timed": saves}
    villages = province_villages()[:3]
    maker = EntryMaker(seed=11, villages=[v.code for v in villages])
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        home = Path(tmp)
        store = offline_store(home, villages)
        try:
            store.set_pin(PIN)
            started = time.perf_counter()
            bulk_fill(store, maker, stored)
            report.params["bulk_fill_s"] = round(time.perf_counter() - started, 1)
        finally:
            store.close()
        try:
            measure_launch(report, home, quick, stored)
        except Exception as exc:  # report the save timings even if the TUI cannot start
            report.note(f"launch not measured: {type(exc).__name__}: {str(exc)[-400:]}")
        store = open_store(home)
        try:
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
        floor = commit_floor_ms(home, saves)
    p99 = percentile(times, 99)
    report.add(
        f"Store.save_entries([entry]) p99 ({stored:,} stored)",
        p99,
        "ms",
        f"≤ {SAVE_TARGET_MS:.0f} ms",
        f"{p99 / SAVE_TARGET_MS:.2f}× target",
        p99 <= SAVE_TARGET_MS,
    )
    report.add("Store.save_entries([entry]) p50", median(times), "ms")
    report.add("Store.save_entries([entry]) max", max(times), "ms")
    floor_p99 = percentile(floor, 99)
    report.add(
        "disk floor: bare sqlite3 1-row commit p99 (WAL, FULL)",
        floor_p99,
        "ms",
        "",
        f"save p99 = {p99 / floor_p99:.1f}× this floor" if floor_p99 else "",
    )
    report.add("disk floor: bare sqlite3 1-row commit p50", median(floor), "ms")
    return report
