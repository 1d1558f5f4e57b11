"""A flood of laptops syncing at once beside staff reads, against `sync-server serve --workers 2`.

The short version of `python -m bench load`: correctness only (timings are the bench's job).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bench.load import LoadPlan, run_load

pytestmark = pytest.mark.slow

PLAN = LoadPlan(laptops=40, rounds=2, batch=5, staff_per_s=20, deadline_s=120)
HOLD_S = 6.0
"""How long another writer holds the write lock mid-run: longer than SQLite's busy timeout."""


def hold_the_write_lock_once_syncing_began(database: Path, done: threading.Event) -> None:
    """Like an admin's long write (a big import): wait for the first stored entry, then hold
    the database's write lock for HOLD_S seconds."""
    deadline = time.monotonic() + 120
    while not done.is_set() and time.monotonic() < deadline:
        if database.exists():
            with sqlite3.connect(database, timeout=30, isolation_level=None) as conn:
                try:
                    stored = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
                except sqlite3.OperationalError:
                    stored = 0  # not migrated yet
                if stored:
                    conn.execute("BEGIN IMMEDIATE")
                    done.wait(HOLD_S)
                    conn.execute("ROLLBACK")
                    return
        done.wait(0.02)


def test_forty_laptops_and_staff_reads_lose_nothing_and_reads_are_never_refused(
    tmp_path: Path,
) -> None:
    done = threading.Event()
    holder = threading.Thread(
        target=hold_the_write_lock_once_syncing_began, args=(tmp_path / "server.sqlite3", done)
    )
    holder.start()
    try:
        result = run_load(tmp_path, PLAN, workers=2, log=tmp_path / "server.log")
    finally:
        done.set()
        holder.join()
    assert result.failures == [], (result.failures[:5], (tmp_path / "server.log").read_text())
    # Every entry arrived exactly once, and every push was acknowledged.
    assert len(result.pushed) == PLAN.laptops * PLAN.rounds * PLAN.batch
    assert result.stored == len(result.pushed) and result.stored_ids == result.pushed
    assert result.acknowledged == len(result.pushed)
    counts = {kind: len(values) for kind, values in result.seconds.items()}
    assert counts["push"] == PLAN.laptops * PLAN.rounds
    assert counts["pull"] >= PLAN.laptops * PLAN.rounds
    assert counts["staff"] > 0 and counts["healthz"] > 0
    # Only pushes may be asked to come back later: a read never waits for the write lock.
    refused_reads = {k: n for k, n in result.resent.items() if not k.startswith("push ")}
    assert refused_reads == {}
