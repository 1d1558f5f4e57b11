"""Tally: reading province 52's tally with 1,000,000 entries vs a full recount, same database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR, Report, median, percentile
from bench.entries import EntryMaker
from bench.server import PROVINCE, sqlite_url, unit_rows
from fieldkit.domain import VIETNAM_TZ, age_group, mask_id_number, period_of, wire
from seed.geography import load_province
from seed.quota_plan import plan_quotas
from sync_server.db.engine import make_engine
from sync_server.db.models import Entry as EntryRow
from sync_server.db.models import Tally, Unit
from sync_server.services import tally
from sync_server.services.init import migrate
from sync_server.services.quotas import set_quotas
from sync_server.services.secrets import citizen_key
from sync_server.services.units import upsert_units

FULL_ENTRIES = 1_000_000
QUICK_ENTRIES = 100_000
CHUNK = 50_000
SHARE_TARGET = 0.01
P95_TARGET_MS = 20.0


def recount(session: Session, fix: bool) -> list[Any]:
    """H1's recount (imported late so the rest of this module loads without it)."""
    from sync_server.services.recount import recount as full_recount

    return list(full_recount(session, fix=fix))


def db_path(entries: int) -> Path:
    """Where the cached database of that size lives."""
    return RESULTS_DIR / f"tally-{entries}.sqlite3"


def server_row(
    data: dict[str, Any], village: Unit, device_id: str, secret: str, now: datetime
) -> dict[str, Any]:
    """The entries row the ingest service stores for a made-up (valid) entry: same columns."""
    assisted = datetime.fromisoformat(data["assisted_at"]).astimezone(UTC)
    return {
        "id": data["id"],
        "device_id": device_id,
        "user_id": 1,
        "village_code": village.code,
        "commune_code": village.commune_code or "",
        "province_code": village.province_code or "",
        "service": data["service"],
        "outcome": data["outcome"],
        "reasons": ",".join(data["reasons"]),
        "assisted_at": assisted,
        "period": period_of(assisted),
        "citizen_key": citizen_key(secret, data["id_number"]),
        "id_masked": mask_id_number(data["id_number"]),
        "full_name": data["full_name"],
        "birth_year": data["birth_year"],
        "sex": data["sex"],
        "phone": data["phone"],
        "consent": True,
        "consent_method": data["consent_method"],
        "device_owner": data["device_owner"],
        "note": data["note"],
        "visit_id": data["visit_id"],
        "rev": 1,
        "age_group": age_group(data["birth_year"], assisted.astimezone(VIETNAM_TZ).year).value,
        "counted": data["outcome"] == "success",
        "review_status": "pending",
        "received_at": now,
    }


def build(path: Path, entries: int, period: str) -> dict[str, Any]:
    """Units, quotas and `entries` rows in a SQLite file, built aside and then renamed."""
    tmp = path.with_suffix(".building")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    timings = build_into(sqlite_url(tmp), entries, period)
    tmp.rename(path)
    return timings


def build_into(url: str, entries: int, period: str) -> dict[str, Any]:
    """Units, quotas and `entries` rows (with their dedupe claims) via executemany, into an
    empty database of any kind (migrated here)."""
    timings: dict[str, Any] = {}
    migrate(url)
    spec = load_province(PROVINCE)
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        with Session(engine) as session:
            upsert_units(session, unit_rows(spec))
            set_quotas(
                session,
                [
                    (q.unit_code, q.service, q.period, q.target)
                    for q in plan_quotas(spec, 1, period)
                ],
            )
            session.commit()
            units = {u.code: u for u in session.scalars(select(Unit))}
        secret = uuid.uuid4().hex  # a throw-away server key: rows are written directly
        device_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        maker = EntryMaker(seed=52, villages=[v.code for v in spec.villages])
        done = 0
        while done < entries:
            rows: list[dict[str, Any]] = []
            for data in maker.data(min(CHUNK, entries - done)):
                row = server_row(data, units[data["village"]], device_id, secret, now)
                rows.append(row)
            with engine.begin() as conn:
                conn.execute(insert(EntryRow), rows)
            done += len(rows)
        timings["insert_s"] = round(time.perf_counter() - started, 1)
    finally:
        engine.dispose()
    return timings


def fresh_read(engine: Engine, period: str, subtree: bool) -> list[wire.TallyRow]:
    """read_tally of the province in a session of its own."""
    with Session(engine) as session:
        return tally.read_tally(session, PROVINCE, period, subtree=subtree)


def timed_reads(read: Callable[[], object], most: int, budget_s: float = 90.0) -> list[float]:
    """Milliseconds of up to `most` calls (at least 20), stopping once the budget is spent."""
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(out) < most and (len(out) < 20 or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        read()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run(quick: bool) -> Report:
    """Time read_tally(province) many times and recount(fix=False) a few times, same DB."""
    entries = QUICK_ENTRIES if quick else FULL_ENTRIES
    period = str(datetime.now(UTC).year)
    report = Report("tally", quick, params={"entries": entries, "province": PROVINCE})
    path = db_path(entries)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if path.exists():
        report.params["db"] = f"cached {path.name}"
    else:
        report.params["db"] = f"built {path.name}"
        report.params |= build(path, entries, period)
    url = sqlite_url(path)
    migrate(url)  # a cached database follows new migrations
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if not session.scalar(select(func.count()).select_from(Tally)):
                started = time.perf_counter()
                recount(session, fix=True)
                session.commit()
                report.params["tallies_built_by_recount_fix_s"] = round(
                    time.perf_counter() - started, 1
                )
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
        engine.dispose()
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
