"""Staff pages: server time of a commune page and its review queue with 1,000,000 entries.

The same database as the tally benchmark (province 52, built once and cached). Each page is
fetched through the real app (TestClient, a signed-in coordinator's session cookie) and timed
around the request; beside it, in the same run, the tally read behind the commune page
(`read_tally(commune, subtree=True)`: the commune and its villages) and a province read.

`BENCH_STAFF_DB=postgres` runs it on PostgreSQL instead: a database `bench_staff_<entries>`
(province 52 only, built the same way by bench/dataset.py, kept for the next run) on the
server of `BENCH_PG_URL` (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres, the
admin connection that creates it).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR, Report, median, percentile, timed_reads
from bench.dataset import (
    FULL_ENTRIES,
    QUICK_ENTRIES,
    postgres_country,
    sqlite_province,
    staff_login,
)
from bench.server import PROVINCE
from sync_server.db.models import Entry, User
from sync_server.services import tally

P95_TARGET_MS = 100.0
DATABASE = os.environ.get("BENCH_STAFF_DB", "sqlite")
"""`sqlite` (a cached file under bench/results) or `postgres`."""


def _busiest_commune(session: Session) -> str:
    """The commune with the most entries (the slowest page to draw)."""
    return str(
        session.execute(
            select(Entry.commune_code, func.count())
            .group_by(Entry.commune_code)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
    )


def run(quick: bool) -> Report:
    """Time the commune page and the review queue, and the tally reads, on one database."""
    from fastapi.testclient import TestClient

    from sync_server.api.app import create_app
    from sync_server.settings import get_settings
    from sync_server.web.cookies import SESSION_COOKIE

    entries = QUICK_ENTRIES if quick else FULL_ENTRIES
    report = Report("staff_pages", quick, params={"entries": entries, "database": DATABASE})
    if DATABASE == "postgres":
        dataset = postgres_country(entries, [PROVINCE], name=f"bench_staff_{entries}")
    else:
        dataset = sqlite_province(entries)
    report.params |= dataset.params
    url, engine, period = dataset.url, dataset.engine, dataset.period
    try:
        with Session(engine) as session:
            commune = _busiest_commune(session)
            coordinator = User(name="Bench Coordinator", role="coordinator", unit_code=commune)
            token = staff_login(session, coordinator)
            session.commit()
            in_commune = session.scalar(select(func.count()).where(Entry.commune_code == commune))
        report.params |= {"commune": commune, "commune_entries": in_commune}
        # Pages read no citizen key; the server still wants a key to start.
        settings = get_settings(
            database_url=url, data_dir=RESULTS_DIR, secret_key=secrets.token_hex(32)
        )
        reads = 30 if quick else 100
        with TestClient(create_app(settings), follow_redirects=False) as client:
            client.cookies.set(SESSION_COOKIE, token)
            pages: dict[str, list[float]] = {}
            for name, address in (
                ("commune page", f"/units/{commune}?period={period}"),
                ("review queue", f"/review?unit={commune}"),
            ):
                for _ in range(3):
                    assert client.get(address).status_code == 200

                def fetch(address: str = address) -> Any:
                    response = client.get(address)
                    assert response.status_code == 200, response.status_code
                    return response

                timings = timed_reads(fetch, reads, budget_s=60.0)
                pages[name] = timings

        def read_commune() -> object:
            with Session(engine) as session:
                return tally.read_tally(session, commune, period, subtree=True)

        tally_ms = timed_reads(read_commune, reads, budget_s=30.0)
    finally:
        dataset.dispose()
    for name, timings in pages.items():
        p95 = percentile(timings, 95)
        report.add(
            f"{name} p95",
            p95,
            "ms",
            f"≤ {P95_TARGET_MS:.0f} ms",
            f"{p95 / P95_TARGET_MS:.2f}× target",
            p95 <= P95_TARGET_MS,
        )
        report.add(f"{name} p50", median(timings), "ms")
    report.add("read_tally(commune) p50", median(tally_ms), "ms")
    report.add("read_tally(commune) p95", percentile(tally_ms, 95), "ms")
    report.note(
        "Server time: the request through the app in-process (TestClient), no network; the "
        "review queue writes one audit row per entry shown, as it does for people."
    )
    return report
