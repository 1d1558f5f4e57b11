"""Province page: server time of `/units/52` with 1,000,000 entries, and the reads behind it.

The same database as the tally benchmark (province 52, built once and cached by
bench/dataset.py). The page is fetched through the real app (TestClient, a signed-in province
officer's session cookie) and timed around the request. Beside it, in the same run: the tally
read the page makes (`read_tally(province, children=True)`: the province and its communes),
the whole-subtree read it made before, the other reads of the page one by one (distinct
citizens, entries per week, laptop freshness), and one full recount. `python -m bench
province` times the page with the campaign report, on both engines, and push-to-page time.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR, Report, median, percentile, timed_reads
from bench.dataset import FULL_ENTRIES, QUICK_ENTRIES, recount, sqlite_province, staff_login
from bench.server import PROVINCE
from sync_server.db.models import Unit, User
from sync_server.services import citizens, laptops, tally, weekly

PAGE_P95_MS = 150.0
READ_P95_MS = 20.0


def run(quick: bool) -> Report:
    """Time the province page and the reads behind it, and a recount, on one database."""
    from fastapi.testclient import TestClient

    from sync_server.api.app import create_app
    from sync_server.settings import get_settings
    from sync_server.web.cookies import SESSION_COOKIE

    entries = QUICK_ENTRIES if quick else FULL_ENTRIES
    report = Report("province_page", quick, params={"entries": entries, "province": PROVINCE})
    dataset = sqlite_province(entries)
    report.params |= dataset.params
    url, engine, period = dataset.url, dataset.engine, dataset.period
    reads = 30 if quick else 100
    try:
        with Session(engine) as session:
            token = staff_login(
                session, User(name="Bench Province", role="province", unit_code=PROVINCE)
            )
            session.commit()
        settings = get_settings(
            database_url=url, data_dir=RESULTS_DIR, secret_key=secrets.token_hex(32)
        )
        with TestClient(create_app(settings), follow_redirects=False) as client:
            client.cookies.set(SESSION_COOKIE, token)
            address = f"/units/{PROVINCE}?period={period}"
            for _ in range(3):
                assert client.get(address).status_code == 200

            def fetch() -> Any:
                response = client.get(address)
                assert response.status_code == 200, response.status_code
                return response

            page_ms = timed_reads(fetch, reads, budget_s=90.0)

        def in_session(read: Callable[[Session, Unit], object]) -> Callable[[], object]:
            def timed() -> object:
                with Session(engine) as session:
                    province = session.get(Unit, PROVINCE)
                    assert province is not None
                    return read(session, province)

            return timed

        parts: dict[str, list[float]] = {}
        for name, read in (
            ("read_tally(province, children=True)",
             lambda s, u: tally.read_tally(s, u.code, period, children=True)),
            ("read_tally(province) whole subtree",
             lambda s, u: tally.read_tally(s, u.code, period)),
            ("citizens_helped(province + communes)",
             lambda s, u: citizens.citizens_helped(
                 s, [u, *s.scalars(select(Unit).where(Unit.parent_code == u.code))], period)),
            ("entries_per_week(province)",
             lambda s, u: weekly.entries_per_week(s, u, period)),
            ("recent_sync_by_commune + last_sync_received",
             lambda s, u: (laptops.recent_sync_by_commune(s, u), laptops.last_sync_received(s, u))),
        ):  # fmt: skip
            parts[name] = timed_reads(in_session(read), reads, budget_s=45.0)
        with Session(engine) as session:
            started = datetime.now(UTC)
            recount(session, fix=False)
            recount_ms = (datetime.now(UTC) - started).total_seconds() * 1000
            session.rollback()
    finally:
        dataset.dispose()
    page_p95 = percentile(page_ms, 95)
    report.add("province page p95", page_p95, "ms", f"≤ {PAGE_P95_MS:.0f} ms",
               f"{page_p95 / PAGE_P95_MS:.2f}× target", page_p95 <= PAGE_P95_MS)  # fmt: skip
    report.add("province page p50", median(page_ms), "ms")
    for name, timings in parts.items():
        p95 = percentile(timings, 95)
        if name.startswith("read_tally(province, children"):
            report.add(f"{name} p95", p95, "ms", f"≤ {READ_P95_MS:.0f} ms",
                       f"{p95 / READ_P95_MS:.2f}× target", p95 <= READ_P95_MS)  # fmt: skip
        else:
            report.add(f"{name} p95", p95, "ms")
        report.add(f"{name} p50", median(timings), "ms")
    report.add("recount(fix=False)", recount_ms, "ms")
    report.note(
        "Server time: the request through the app in-process (TestClient), no network. The "
        "parts are timed alone, each in a fresh session, in the same run as the page."
    )
    return report
