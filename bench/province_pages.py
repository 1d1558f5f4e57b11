"""Province: what a province officer waits for, beside a full recount of the same database.

On SQLite (province 52, 1,000,000 entries) and on PostgreSQL (all 34 provinces' units,
2,000,000 entries, half of them province 52's), each through the real app in-process
(TestClient, a province officer's session cookie), timed around the request: the province
page `/units/52`, the campaign report `/reports/campaign?unit=52&period=P` and its XLSX
`/reports/campaign.xlsx?…`; the reads behind them (`read_tally` of the province and its
communes, as the page reads it, and `campaign_report`); `recount(fix=False)` in the same run;
and the time from a push's acknowledgement (`POST /api/v1/sync/push`, a volunteer's laptop
token) until the province's figures (`/units/52.json`, else the page's `data-*` figures) show
the entry. A route that answers 404 is reported as "route missing", not as an error.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR, Report, median, percentile, timed_reads
from bench.dataset import (
    COUNTRY_ENTRIES,
    FULL_ENTRIES,
    QUICK_ENTRIES,
    Dataset,
    postgres_country,
    recount,
    sqlite_province,
    staff_login,
)
from bench.entries import EntryMaker
from bench.server import PROVINCE
from fieldkit.domain import wire
from sync_server.db.models import Device, Team, Unit, User
from sync_server.services import devices, tally
from sync_server.services.campaign import campaign_report

PAGE_TARGET_MS = 150.0
REPORT_TARGET_MS = 1000.0
TALLY_TARGET_MS = 20.0
FRESH_TARGET_MS = 1000.0
SHARE_TARGET = 0.01
SERVICE = "vneid_level2"
"""The service the pushed entries are for (the figure watched on the province page)."""
_DATA_TAG = re.compile(r"<data\b[^>]*>")
_ATTRIBUTE = re.compile(r'(data-[a-z]+)="([^"]*)"')


@dataclass(frozen=True)
class Sizes:
    """How big a run is."""

    sqlite_entries: int
    postgres_entries: int | None
    """None: PostgreSQL is not measured."""
    reads: int
    pushes: int
    recounts: int
    postgres_provinces: list[str] | None = None
    """None: all 34."""
    postgres_name: str | None = None
    """The PostgreSQL database's name (None: named after the sizes, and kept for next time)."""
    folder: Path = RESULTS_DIR
    """Where the SQLite file is cached."""
    budget_s: float = 60.0
    """Time a page may take in all before its reads stop (at least 20 reads each)."""


FULL = Sizes(FULL_ENTRIES, COUNTRY_ENTRIES, reads=100, pushes=20, recounts=3)
QUICK = Sizes(QUICK_ENTRIES, 2 * QUICK_ENTRIES, reads=30, pushes=10, recounts=1)


@dataclass
class People:
    """Who the run acts as: a province officer's browser and a volunteer's laptop."""

    cookie: str
    token: str
    village: str
    device_id: str
    next_mutation: int = 1
    made: EntryMaker = field(default_factory=lambda: EntryMaker(seed=time.time_ns(), villages=[]))


def run(quick: bool) -> Report:
    """The province's pages, reads, recount and freshness on both engines."""
    return measure(QUICK if quick else FULL, quick)


def measure(sizes: Sizes, quick: bool = False) -> Report:
    """One report for both engines (PostgreSQL skipped with a note when it is not there)."""
    report = Report("province", quick, params={"province": PROVINCE})
    makers: list[tuple[str, Callable[[], Dataset]]] = [
        ("sqlite", lambda: sqlite_province(sizes.sqlite_entries, sizes.folder))
    ]
    if sizes.postgres_entries is not None:
        entries = sizes.postgres_entries
        makers.append(
            (
                "postgres",
                lambda: postgres_country(entries, sizes.postgres_provinces, sizes.postgres_name),
            )
        )
    for name, make in makers:
        try:
            dataset = make()
        except Exception as exc:  # PostgreSQL down: say so, measure the rest
            if name != "postgres":
                raise
            report.note(f"PostgreSQL not measured: {type(exc).__name__}: {exc}")
            continue
        try:
            report.params[f"{name}_db"] = dataset.params | {"entries": dataset.entries}
            _measure(report, dataset, sizes)
        finally:
            dataset.dispose()
    return report


def _people(dataset: Dataset) -> People:
    """A province officer with a live web session, and a volunteer of a province-52 village
    with an enrolled laptop (a bearer token), added to the database."""
    with Session(dataset.engine) as session:
        village = session.scalars(
            select(Unit.code)
            .where(Unit.province_code == PROVINCE, Unit.level == "village")
            .order_by(Unit.code)
            .limit(1)
        ).one()
        officer = User(name="Cán Bộ Tỉnh Đo", role="province", unit_code=PROVINCE)
        team = Team(village_code=village, name="Tổ đo thời gian")
        session.add_all([officer, team])
        session.flush()
        volunteer = User(name="Tình Nguyện Viên Đo", role="volunteer", unit_code=village)
        volunteer.team_id = team.id
        session.add(volunteer)
        session.flush()
        token = secrets.token_urlsafe(32)
        device = Device(
            id=str(uuid.uuid4()),
            user_id=volunteer.id,
            token_hash=devices.token_hash(token),
            name="bench laptop",
            created_at=datetime.now(UTC) - timedelta(days=400),
        )
        session.add(device)
        login = staff_login(session, officer)
        session.commit()
        return People(login, token, village, device.id)


def _province_figure(client: Any, period: str) -> int | None:
    """The province's achieved figure for SERVICE as the page (or its JSON twin) shows it."""
    answer = client.get(f"/units/{PROVINCE}.json?period={period}")
    if answer.status_code == 200:
        for row in answer.json().get("services", []):
            if row.get("service") == SERVICE:
                return int(row.get("achieved") or 0)
        return 0
    page = client.get(f"/units/{PROVINCE}?period={period}")
    if page.status_code != 200:
        return None
    for tag in _DATA_TAG.findall(page.text):
        found = dict(_ATTRIBUTE.findall(tag))
        if (found.get("data-unit"), found.get("data-service")) == (PROVINCE, SERVICE) and found.get(
            "data-metric"
        ) == "achieved":
            return int(found.get("data-value") or 0)
    return 0


def _push_one(client: Any, people: People) -> bool:
    """Push one new citizen's SERVICE success from the volunteer's laptop; True when stored."""
    data = people.made.entry_data(people.village)[0]
    data |= {
        # 096 (Cà Mau) is a prefix the made-up province never uses: always a new citizen.
        "id_number": f"096{data['id_number'][3:]}",
        "service": SERVICE,
        "outcome": "success",
        "reasons": [],
        "assisted_at": datetime.now(UTC).isoformat(),
    }
    body = {"mutations": [{"mutation_id": people.next_mutation, "entry": data}]}
    headers = {
        "Authorization": f"Bearer {people.token}",
        wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION,
    }
    answer = client.post(f"{wire.API_PREFIX}/sync/push", json=body, headers=headers)
    if answer.status_code != 200:
        return False
    people.next_mutation += 1
    return bool(answer.json().get("last_mutation_id") == people.next_mutation - 1)


def _freshness(client: Any, people: People, period: str, pushes: int) -> list[float] | str:
    """Milliseconds from each push's acknowledgement to the province's figure showing it."""
    out: list[float] = []
    for _ in range(pushes):
        before = _province_figure(client, period)
        if before is None:
            return "province page and its JSON twin missing"
        if not _push_one(client, people):
            return "push refused"
        acknowledged = time.perf_counter()
        deadline = acknowledged + 10.0
        while True:
            shown = _province_figure(client, period)
            now = time.perf_counter()
            if shown is not None and shown > before:
                out.append((now - acknowledged) * 1000)
                break
            if now > deadline:
                out.append(float("nan"))
                break
    return out


def _measure(report: Report, dataset: Dataset, sizes: Sizes) -> None:
    """Every figure of one database, in one run."""
    from fastapi.testclient import TestClient

    from sync_server.api.app import create_app
    from sync_server.settings import get_settings
    from sync_server.web.cookies import SESSION_COOKIE

    period, engine, label = dataset.period, dataset.engine, dataset.label
    people = _people(dataset)
    query = f"unit={PROVINCE}&period={period}"
    pages = {
        "province page": (f"/units/{PROVINCE}?period={period}", PAGE_TARGET_MS),
        "campaign report HTML": (f"/reports/campaign?{query}", PAGE_TARGET_MS),
        "campaign report XLSX": (f"/reports/campaign.xlsx?{query}", REPORT_TARGET_MS),
    }
    timings: dict[str, list[float] | str] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings = get_settings(
            database_url=dataset.url, data_dir=Path(folder), secret_key=secrets.token_hex(32)
        )
        with TestClient(create_app(settings), follow_redirects=False) as client:
            client.cookies.set(SESSION_COOKIE, people.cookie)
            for name, (address, _target) in pages.items():
                status = client.get(address).status_code
                if status == 404:
                    timings[name] = "route missing"
                    continue
                if status != 200:
                    timings[name] = f"answered {status}"
                    continue

                def fetch(address: str = address) -> None:
                    answer = client.get(address)
                    assert answer.status_code == 200, answer.status_code

                timings[name] = timed_reads(fetch, sizes.reads, sizes.budget_s)
            fresh = _freshness(client, people, period, sizes.pushes)

    def read_province() -> object:
        with Session(engine) as session:
            return tally.read_tally(session, PROVINCE, period, children=True)

    def report_figures() -> object:
        with Session(engine) as session:
            return campaign_report(session, PROVINCE, period)

    tally_read = "read_tally(province, children=True)"
    timings[tally_read] = timed_reads(read_province, sizes.reads, sizes.budget_s)
    timings["campaign_report(province)"] = timed_reads(report_figures, sizes.reads, sizes.budget_s)
    recount_ms: list[float] = []
    with Session(engine) as session:
        for _ in range(sizes.recounts):
            started = time.perf_counter()
            mismatches = recount(session, fix=False)
            recount_ms.append((time.perf_counter() - started) * 1000)
            session.rollback()
    if mismatches:
        report.note(f"{label}: recount found {len(mismatches)} mismatches")
    whole = median(recount_ms)
    targets = {
        tally_read: TALLY_TARGET_MS,
        "campaign_report(province)": REPORT_TARGET_MS,
    } | {name: target for name, (_address, target) in pages.items()}
    for name, values in timings.items():
        _add(report, f"{label}: {name}", values, targets[name], whole)
    _add_freshness(report, label, fresh)
    report.add(f"{label}: recount(fix=False) median", whole, "ms")


def _add(report: Report, name: str, values: list[float] | str, target: float, whole: float) -> None:
    """p95 against its target, p50 against a recount (or why it was not measured)."""
    if isinstance(values, str):
        report.add(f"{name} p95", float("nan"), "ms", f"≤ {target:,.0f} ms", values)
        report.note(f"{name}: {values}")
        return
    p50, p95 = median(values), percentile(values, 95)
    report.add(
        f"{name} p95",
        p95,
        "ms",
        f"≤ {target:,.0f} ms",
        f"p50 {p50:.1f} ms, {p95 / target:.2f}× target",
        p95 <= target,
    )
    share = p50 / whole
    report.add(
        f"{name} p50 / recount",
        share * 100,
        "%",
        f"≤ {SHARE_TARGET:.0%}",
        f"{p50:.1f} ms vs {whole:,.0f} ms",
        share <= SHARE_TARGET,
    )


def _add_freshness(report: Report, label: str, fresh: list[float] | str) -> None:
    """Push acknowledged → shown on the province page: p95 and the slowest."""
    name = f"{label}: push ack → province figures"
    target = f"≤ {FRESH_TARGET_MS:,.0f} ms"
    if isinstance(fresh, str):
        report.add(f"{name} p95", float("nan"), "ms", target, fresh)
        report.note(f"{name}: {fresh}")
        return
    shown = [v for v in fresh if v == v]
    if len(shown) < len(fresh):
        report.note(f"{name}: {len(fresh) - len(shown)} of {len(fresh)} never showed in 10 s")
    p95 = percentile(shown, 95)
    ok = len(shown) == len(fresh) and p95 <= FRESH_TARGET_MS
    report.add(f"{name} p95", p95, "ms", target, f"p50 {median(shown):.1f} ms", ok)
    report.add(f"{name} max", max(shown, default=float("nan")), "ms")


def small(folder: Path, postgres_name: str | None) -> Sizes:
    """A run small enough for the test suite (tests/test_bench_runs.py); PostgreSQL only with
    a database name (the caller drops it)."""
    return replace(
        QUICK,
        sqlite_entries=2_000,
        postgres_entries=3_000 if postgres_name else None,
        postgres_provinces=[PROVINCE, "01"],
        postgres_name=postgres_name,
        reads=3,
        pushes=2,
        recounts=1,
        folder=folder,
        budget_s=5.0,
    )
