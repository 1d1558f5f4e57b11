"""Migration 0009_citizen_tallies fills the kept people counts from the entries already stored."""

from __future__ import annotations

from alembic import command
from server_factories import entry_data, make_device, make_geography, mutations
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from sync_server.db.engine import alembic_config, make_engine
from sync_server.db.models import Entry, User
from sync_server.services import citizens
from sync_server.services.init import migrate
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.review import apply_review


def test_upgrade_fills_the_counts_a_downgrade_dropped(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        geo = make_geography(session, communes=2, villages_per_commune=1)
        first, second = geo.all_villages()
        here, there = make_device(session, first), make_device(session, second)
        ingest_mutations(session, here, mutations([
            entry_data(first, 1, service="dvc_account"),
            entry_data(first, 2, service="dvc_account"),
            entry_data(first, 3, service="vneid_level1", outcome="failed"),
        ]))  # fmt: skip
        ingest_mutations(session, there, mutations([
            entry_data(second, 1, service="dvc_transaction"),
            entry_data(second, 2, service="dvc_transaction"),
            entry_data(second, 4, service="vneid_level2"),
        ]))  # fmt: skip
        admin = User(name="Quản Trị", role="admin")
        session.add(admin)
        failed = session.scalars(select(Entry.id).where(Entry.outcome == "failed")).one()
        apply_review(session, failed, "rejected", "sai", admin)
        session.commit()
        kept = citizens.stored(session)
    assert kept[(geo.province, "2026")] == (3, 2)  # citizen 3's only entry was rejected
    assert kept[(first, "2026")] == (2, 2) and kept[(second, "2026")] == (3, 0)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008_week_tallies")
    with engine.connect() as connection:
        assert "citizen_tallies" not in inspect(connection).get_table_names()
    migrate(engine)
    with Session(engine) as session:
        assert citizens.stored(session) == kept
        assert recount(session) == []
    engine.dispose()
