"""Seeding writes a province into a real database (SQLite and PostgreSQL), idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fieldkit.domain import is_masked
from seed.loader import seed_province
from sync_server.db.engine import make_engine
from sync_server.db.models import Device, Entry, Quota, Team, Unit, User
from sync_server.services.init import migrate
from sync_server.services.recount import recount

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TABLES = (Unit, Team, User, Device, Quota, Entry)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    migrate(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in TABLES
        }


def test_seed_small_province_with_entries_twice_duplicates_nothing(engine: Engine) -> None:
    with Session(engine) as session:
        first = seed_province(session, "12", seed=4, demo_entries=60, now=NOW)
    assert first.communes == 38 and first.villages >= 38 * 8
    assert sum(first.entries.values()) == 60
    assert first.entries.get("accepted", 0) >= 55
    counts = _counts(engine)
    assert counts["entries"] == first.entries["accepted"] + first.entries.get("duplicate", 0)
    assert counts["teams"] == first.villages
    assert counts["devices"] == counts["users"] == first.volunteers
    with Session(engine) as session:
        seed_province(session, "12", seed=4, demo_entries=60, now=NOW)
    assert _counts(engine) == counts
    with Session(engine) as session:
        assert recount(session) == []
        volunteers = session.scalars(select(User).where(User.role == "volunteer")).all()
        per_team: dict[int | None, int] = {}
        for user in volunteers:
            per_team[user.team_id] = per_team.get(user.team_id, 0) + 1
        assert None not in per_team and set(per_team.values()) <= {3, 4, 5}
        assert set(session.scalars(select(Device.user_id))) == {u.id for u in volunteers}
        ids = session.scalars(select(Entry.id_masked)).all()
        assert all(is_masked(i) for i in ids)
        # A year of demo entries stands for laptops that synced the same day: none is late.
        assert set(session.scalars(select(Entry.review_status))) == {"pending"}


def test_reseed_with_another_seed_keeps_units_and_teams(engine: Engine) -> None:
    with Session(engine) as session:
        seed_province(session, "12", seed=1, now=NOW)
    before = _counts(engine)
    with Session(engine) as session:
        seed_province(session, "12", seed=2, now=NOW)
    after = _counts(engine)
    assert after == before
