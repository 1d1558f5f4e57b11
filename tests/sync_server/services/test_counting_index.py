"""The dedupe rule lives in the database: one counting success per citizen, service, period."""

from __future__ import annotations

import pytest
from alembic import command
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.engine import alembic_config
from sync_server.db.models import Entry
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount


def _two_villages_one_citizen(session: Session) -> tuple[str, str]:
    """The same citizen's success in two villages: (counting id, duplicate id)."""
    geo = make_geography(session)
    va, vb = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]
    a, b = make_device(session, va), make_device(session, vb)
    first = ingest_mutations(session, a, mutations([entry_data(va, 7, at=minutes(0))]))
    second = ingest_mutations(session, b, mutations([entry_data(vb, 7, at=minutes(60))]))
    session.commit()
    assert second.results[0].status == wire.ItemStatus.DUPLICATE
    counting, duplicate = first.results[0].entry_id, second.results[0].entry_id
    assert counting is not None and duplicate is not None
    return counting, duplicate


def test_a_second_counting_success_is_refused_by_the_database(session: Session) -> None:
    counting, duplicate = _two_villages_one_citizen(session)
    with pytest.raises(IntegrityError):
        session.execute(update(Entry).where(Entry.id == duplicate).values(counted=True))
    session.rollback()
    assert session.scalars(select(Entry.id).where(Entry.counted.is_(True))).all() == [counting]
    # Handing the count over (uncount first) is what dedupe does, and the index allows it.
    session.execute(update(Entry).where(Entry.id == counting).values(counted=False))
    session.execute(update(Entry).where(Entry.id == duplicate).values(counted=True))
    session.rollback()


def test_failed_entries_and_uncounted_successes_are_not_constrained(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    payloads = [entry_data(village, 3, at=minutes(n)) for n in range(3)]
    payloads += [entry_data(village, 3, at=minutes(n), outcome="failed") for n in range(2)]
    resp = ingest_mutations(session, device, mutations(payloads))
    session.commit()
    statuses = [r.status for r in resp.results]
    assert (
        statuses
        == [wire.ItemStatus.ACCEPTED]
        + [wire.ItemStatus.DUPLICATE] * 2
        + [wire.ItemStatus.ACCEPTED] * 2
    )
    assert len(session.scalars(select(Entry.id).where(Entry.counted.is_(True))).all()) == 1
    assert recount(session) == []


def test_the_index_exists_after_migrating(engine: Engine) -> None:
    # Inspectors skip expression indexes on SQLite, so ask each catalogue directly.
    catalogue = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
        "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'entries'",
    }[engine.dialect.name]
    with engine.connect() as conn:
        names = set(conn.scalars(text(catalogue)))
        tables = set(inspect(conn).get_table_names())
    assert "ux_entries_counting" in names
    assert "counted" not in tables


def test_downgrade_rebuilds_the_counted_table_and_upgrade_drops_it(
    engine: Engine, session: Session
) -> None:
    counting, _ = _two_villages_one_citizen(session)
    session.close()
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT entry_id FROM counted")).all()
    assert [r[0] for r in rows] == [counting]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.connect() as conn:
        assert "counted" not in set(inspect(conn).get_table_names())
