"""Tally: reading province 52's tally with 1,000,000 entries vs a full recount, same database."""

from __future__ import annotations

import time

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.common import Report, median, percentile, timed_reads
from bench.dataset import FULL_ENTRIES, QUICK_ENTRIES, recount, sqlite_province
from bench.server import PROVINCE
from fieldkit.domain import wire
from sync_server.db.models import Entry as EntryRow
from sync_server.db.models import Tally
from sync_server.services import tally

SHARE_TARGET = 0.01
P95_TARGET_MS = 20.0


def fresh_read(engine: Engine, period: str, subtree: bool) -> list[wire.TallyRow]:
    """read_tally of the province in a session of its own."""
    with Session(engine) as session:
        return tally.read_tally(session, PROVINCE, period, subtree=subtree)


def run(quick: bool) -> Report:
    """Time read_tally(province) many times and recount(fix=False) a few times, same DB."""
    entries = QUICK_ENTRIES if quick else FULL_ENTRIES
    report = Report("tally", quick, params={"entries": entries, "province": PROVINCE})
    dataset = sqlite_province(entries)
    report.params |= dataset.params
    engine, period = dataset.engine, dataset.period
    try:
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(EntryRow)) or 0
            tallies = session.scalar(select(func.count()).select_from(Tally)) or 0
            report.params |= {"entries_stored": stored, "tally_rows": tallies}
            rows = tally.read_tally(session, PROVINCE, period)
            report.params["rows_returned"] = len(rows)
            # Every server transaction is BEGIN IMMEDIATE: let go before the fresh sessions.
            session.rollback()
            reads = 30 if quick else 200
            for _ in range(5):
                fresh_read(engine, period, True)
            # A fresh session per read, as each HTTP request or CLI call has.
            read_ms = timed_reads(lambda: fresh_read(engine, period, True), reads)
            own_ms = timed_reads(lambda: fresh_read(engine, period, False), reads)
            reads = len(read_ms)
            session.rollback()
            recounts = 3
            recount_ms: list[float] = []
            mismatches = 0
            for _ in range(recounts):
                t0 = time.perf_counter()
                found = recount(session, fix=False)
                recount_ms.append((time.perf_counter() - t0) * 1000)
                mismatches = len(found)
                session.rollback()
    finally:
        dataset.dispose()
    p50, p95 = median(read_ms), percentile(read_ms, 95)
    recount_median = median(recount_ms)
    share = p50 / recount_median
    report.params |= {"reads": reads, "recounts": recounts, "recount_mismatches": mismatches}
    report.add(
        "read_tally(province) p50 / recount median",
        share * 100,
        "%",
        f"≤ {SHARE_TARGET:.0%}",
        f"{p50:.1f} ms vs {recount_median:,.0f} ms",
        share <= SHARE_TARGET,
    )
    report.add(
        "read_tally(province) p95",
        p95,
        "ms",
        f"≤ {P95_TARGET_MS:.0f} ms",
        f"{p95 / P95_TARGET_MS:.2f}× target",
        p95 <= P95_TARGET_MS,
    )
    report.add("read_tally(province) p50", p50, "ms")
    report.add("recount(fix=False) median", recount_median, "ms")
    report.add("read_tally(province, subtree=False) p50", median(own_ms), "ms")
    report.add("read_tally(province, subtree=False) p95", percentile(own_ms, 95), "ms")
    if mismatches:
        report.note(f"recount found {mismatches} mismatches in the built database")
    return report
