"""Staff pages: server time of a commune page and its review queue with 1,000,000 entries.

The same database as the tally benchmark (province 52, built once and cached). Each page is
fetched through the real app (TestClient, a signed-in coordinator's session cookie) and timed
around the request; beside it, in the same run, the tally read behind the commune page
(`read_tally(commune, subtree=True)`: the commune and its villages) and a province read.

`BENCH_STAFF_DB=postgres` runs it on PostgreSQL instead: a database `bench_staff_<entries>`
(built the same way, kept for the next run) on the server of `BENCH_PG_URL` (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres, the admin connection that creates it).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR, Report, median, percentile
from bench.server import sqlite_url
from bench.tally_read import (
    FULL_ENTRIES,
    QUICK_ENTRIES,
    build,
    build_into,
    db_path,
    recount,
    timed_reads,
)
from sync_server.db.engine import make_engine
from sync_server.db.models import Entry, Tally, User
from sync_server.services import tally, web_sessions
from sync_server.services.init import migrate

P95_TARGET_MS = 100.0
DATABASE = os.environ.get("BENCH_STAFF_DB", "sqlite")
"""`sqlite` (a cached file under bench/results) or `postgres`."""
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_database(entries: int, period: str, params: dict[str, Any]) -> str:
    """The URL of `bench_staff_<entries>` on PostgreSQL, created and built on first use."""
    import psycopg

    name = f"bench_staff_{entries}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql")
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists:
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                built = session.scalar(select(func.count()).select_from(Entry)) == entries
        finally:
            engine.dispose()
        if built:
            params["db"] = f"cached postgres {name}"
            _analyze(url)
            return url
    with psycopg.connect(admin, autocommit=True) as conn:  # a half-built one is rebuilt
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    params["db"] = f"built postgres {name}"
    params |= build_into(url, entries, period)
    _analyze(url)
    return url


def _analyze(url: str) -> None:
    """Fresh planner statistics: after a bulk load the recount's plan is hopeless without."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("ANALYZE")


def _sqlite_database(entries: int, period: str, params: dict[str, Any]) -> str:
    """The URL of the tally benchmark's cached SQLite file, built on first use."""
    path = db_path(entries)
    if path.exists():
        params["db"] = f"cached {path.name}"
    else:
        params["db"] = f"built {path.name}"
        params |= build(path, entries, period)
    return sqlite_url(path)


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


def _coordinator(session: Session, commune: str) -> str:
    """A coordinator of the commune with a live web session; returns the session token."""
    user = User(name="Bench Coordinator", role="coordinator", unit_code=commune)
    session.add(user)
    session.flush()
    limits = web_sessions.SessionLimits(idle=timedelta(hours=8), absolute=timedelta(hours=8))
    opened = web_sessions.open_session(session, user, limits)
    session.commit()
    return opened.token


def run(quick: bool) -> Report:
    """Time the commune page and the review queue, and the tally reads, on one database."""
    from fastapi.testclient import TestClient

    from sync_server.api.app import create_app
    from sync_server.settings import get_settings
    from sync_server.web.cookies import SESSION_COOKIE

    entries = QUICK_ENTRIES if quick else FULL_ENTRIES
    period = str(datetime.now(UTC).year)
    report = Report("staff_pages", quick, params={"entries": entries, "database": DATABASE})
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if DATABASE == "postgres":
        url = _postgres_database(entries, period, report.params)
    else:
        url = _sqlite_database(entries, period, report.params)
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if not session.scalar(select(func.count()).select_from(Tally)):
                recount(session, fix=True)
                session.commit()
            commune = _busiest_commune(session)
            token = _coordinator(session, commune)
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
        engine.dispose()
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
