"""Volume and concurrency: 50,000 entries on both engines, and two PostgreSQL writers at once."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from server_factories import BASE_TIME, entry_data, make_device, make_geography, mutations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Device, Entry, Tally
from sync_server.services.init import migrate
from sync_server.services.pushing import ingest_mutations
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


WRITER = """
import json, sys
from fieldkit.domain import wire
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.services.init import migrate
from sync_server.db.models import Device
from sync_server.services.pushing import ingest_mutations

url, device_id, path = sys.argv[1:]
with open(path) as f:
    payloads = json.load(f)
engine = make_engine(url)
with make_sessionmaker(engine)() as session:
    for start in range(0, len(payloads), 500):
        device = session.get(Device, device_id)
        batch = [
            wire.Mutation(mutation_id=start + i + 1, entry=p)
            for i, p in enumerate(payloads[start : start + 500])
        ]
        ingest_mutations(session, device, batch)
        session.commit()
engine.dispose()
"""


@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_count_each_citizen_once(pg_url: str, tmp_path: Path) -> None:
    migrate(pg_url)
    engine = make_engine(pg_url)
    try:
        with make_sessionmaker(engine)() as session:
            geo = make_geography(session)
            villages = [geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]]
            devices = [make_device(session, v) for v in villages]
            session.commit()
            commands = []
            for i, (device, village) in enumerate(zip(devices, villages, strict=True)):
                path = tmp_path / f"writer{i}.json"
                path.write_text(json.dumps(_payloads(village, 3_000, seed=i, citizens=1_500)))
                commands.append([sys.executable, "-c", WRITER, pg_url, device.id, str(path)])
        writers = [subprocess.Popen(c, stderr=subprocess.PIPE, text=True) for c in commands]
        for w in writers:
            _, err = w.communicate(timeout=300)
            assert w.returncode == 0, err[-2000:]
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Entry)) == 6_000
            eligible = (
                select(Entry.citizen_key, Entry.service, Entry.period)
                .where(Entry.outcome == "success")
                .distinct()
                .subquery()
            )
            groups = session.scalar(select(func.count()).select_from(eligible))
            assert session.scalar(select(func.count()).where(Entry.counted.is_(True))) == groups
            assert recount(session) == []
    finally:
        engine.dispose()
