"""Campaign report: province 52's report (JSON, XLSX) with 1,000,000 entries vs a full recount."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR, Report, median, percentile
from bench.server import PROVINCE, sqlite_url
from bench.tally_read import FULL_ENTRIES, QUICK_ENTRIES, build, db_path, recount, timed_reads
from sync_server.db.engine import make_engine
from sync_server.db.models import Tally
from sync_server.services.campaign import campaign_report
from sync_server.services.campaign_files import write_json, write_xlsx
from sync_server.services.init import migrate

REPORT_TARGET_MS = 1000.0
SHARE_TARGET = 0.01


def _report(engine: Engine, period: str, out: Path | None, xlsx: bool) -> None:
    """The province's campaign report in a session of its own, written to `out` if given."""
    with Session(engine) as session:
        report = campaign_report(session, PROVINCE, period)
    if out is not None:
        (write_xlsx if xlsx else write_json)(report, out)


def run(quick: bool) -> Report:
    """Time the report (figures only, JSON file, XLSX file) and recount(fix=False), same DB."""
    entries = QUICK_ENTRIES if quick else FULL_ENTRIES
    period = str(datetime.now(UTC).year)
    report = Report("campaign", quick, params={"entries": entries, "province": PROVINCE})
    path = db_path(entries)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if path.exists():
        report.params["db"] = f"cached {path.name}"
    else:
        report.params["db"] = f"built {path.name}"
        report.params |= build(path, entries, period)
    url = sqlite_url(path)
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if not session.scalar(select(func.count()).select_from(Tally)):
                recount(session, fix=True)
                session.commit()
        reads = 10 if quick else 30
        with tempfile.TemporaryDirectory() as folder:
            json_out, xlsx_out = Path(folder) / "r.json", Path(folder) / "r.xlsx"
            _report(engine, period, None, False)
            figures_ms = timed_reads(lambda: _report(engine, period, None, False), reads, 60)
            json_ms = timed_reads(lambda: _report(engine, period, json_out, False), reads, 60)
            xlsx_ms = timed_reads(lambda: _report(engine, period, xlsx_out, True), reads, 60)
        recount_ms: list[float] = []
        with Session(engine) as session:
            for _ in range(3):
                t0 = time.perf_counter()
                recount(session, fix=False)
                recount_ms.append((time.perf_counter() - t0) * 1000)
                session.rollback()
    finally:
        engine.dispose()
    recount_median = median(recount_ms)
    for name, timings in (("figures", figures_ms), ("JSON", json_ms), ("XLSX", xlsx_ms)):
        p50, p95 = median(timings), percentile(timings, 95)
        report.add(
            f"campaign report {name} p95",
            p95,
            "ms",
            f"≤ {REPORT_TARGET_MS:.0f} ms",
            f"p50 {p50:.0f} ms",
            p95 <= REPORT_TARGET_MS,
        )
        share = p50 / recount_median
        report.add(
            f"campaign report {name} p50 / recount median",
            share * 100,
            "%",
            f"≤ {SHARE_TARGET:.0%}",
            f"{p50:.0f} ms vs {recount_median:,.0f} ms",
            share <= SHARE_TARGET,
        )
    report.add("recount(fix=False) median", recount_median, "ms")
    return report
