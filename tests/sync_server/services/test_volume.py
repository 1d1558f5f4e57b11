"""Volume and concurrency: 50,000 entries on both engines, and two PostgreSQL writers at once."""

from __future__ import annotations

import multiprocessing
import random
from datetime import timedelta

import pytest
from server_factories import BASE_TIME, entry_data, make_device, make_geography, mutations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Counted, Device, Entry, Tally
from sync_server.services.ingest import ingest_mutations
from sync_server.services.recount import recount

BATCH = 500
SERVICES = ("vneid_level1", "vneid_level2", "dvc_account")


def _payloads(village: str, count: int, seed: int, citizens: int) -> list[dict[str, object]]:
    """Entries over a shared pool of citizens, at random times, mostly successes."""
    rng = random.Random(seed)
    people = [rng.randrange(citizens) for _ in range(count)]
    return [
        entry_data(
            village,
            person,
            service=rng.choice(SERVICES),
            outcome="success" if rng.random() < 0.85 else "failed",
            at=BASE_TIME + timedelta(minutes=rng.randrange(60 * 24 * 200)),
            birth_year=(1960, 1985, 2000, 2004)[person % 4],
        )
        for person in people
    ]


def _push_all(session: Session, device: Device, payloads: list[dict[str, object]]) -> None:
    """Push in batches of 500, committing each like the API does."""
    for start in range(0, len(payloads), BATCH):
        batch = mutations(payloads[start : start + BATCH], start=start + 1)
        resp = ingest_mutations(session, device, batch)
        session.commit()
        assert resp.last_mutation_id == start + len(batch)
        assert all(r.status != wire.ItemStatus.REJECTED for r in resp.results)


@pytest.mark.slow
def test_fifty_thousand_entries_recount_clean(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=2)
    villages = geo.all_villages()
    devices = [make_device(session, v) for v in villages]
    session.commit()
    per_device = 50_000 // len(devices)
    for i, (device, village) in enumerate(zip(devices, villages, strict=True)):
        _push_all(session, device, _payloads(village, per_device, seed=i, citizens=9_000))
    assert session.scalar(select(func.count()).select_from(Entry)) == 50_000
    assert recount(session) == []
    province = session.get(
        Tally, {"unit_code": geo.province, "service": "vneid_level1", "period": "2026"}
    )
    assert province is not None and 0 < province.achieved <= 9_000


def _writer(url: str, device_id: str, village: str, seed: int) -> None:
    """One server process pushing its device's entries."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            device = session.get(Device, device_id)
            assert device is not None
            _push_all(session, device, _payloads(village, 3_000, seed=seed, citizens=1_500))
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_count_each_citizen_once(pg_url: str) -> None:
    from sync_server.db.engine import migrate

    migrate(pg_url)
    engine = make_engine(pg_url)
    try:
        with make_sessionmaker(engine)() as session:
            geo = make_geography(session)
            a_village, b_village = (
                geo.villages[geo.communes[0]][0],
                geo.villages[geo.communes[1]][0],
            )
            a, b = make_device(session, a_village), make_device(session, b_village)
            session.commit()
            jobs = [(pg_url, a.id, a_village, 1), (pg_url, b.id, b_village, 2)]
        context = multiprocessing.get_context("spawn")
        processes = [context.Process(target=_writer, args=job) for job in jobs]
        for p in processes:
            p.start()
        for p in processes:
            p.join(timeout=300)
        assert [p.exitcode for p in processes] == [0, 0]
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Entry)) == 6_000
            eligible = (
                select(Entry.citizen_key, Entry.service, Entry.period)
                .where(Entry.outcome == "success")
                .distinct()
                .subquery()
            )
            groups = session.scalar(select(func.count()).select_from(eligible))
            assert session.scalar(select(func.count()).select_from(Counted)) == groups
            assert session.scalar(select(func.count()).where(Entry.counted.is_(True))) == groups
            assert recount(session) == []
    finally:
        engine.dispose()
