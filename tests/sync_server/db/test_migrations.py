"""The one migration builds the ORM's schema exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from sync_server.db.engine import include_name, include_object, make_engine
from sync_server.db.models import CHANGE_SEQ, Base, Counter, ServerMeta, Service
from sync_server.services.init import migrate


# Alembic cannot compare indexes on expressions; ux_entries_counting is checked on its own
# (tests/sync_server/services/test_counting_index.py) and skipped here by include_object.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index:sqlalchemy.exc.SAWarning")
def test_migration_matches_the_models(db_url: str) -> None:
    migrate(db_url)
    migrate(db_url)  # idempotent
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY)"))
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": include_name,
                    "include_object": include_object,
                    "compare_type": True,
                },
            )
            diff = compare_metadata(context, Base.metadata)
            assert diff == []
            assert "entries" in inspect(conn).get_table_names()
        with Session(engine) as session:
            assert session.get(Counter, CHANGE_SEQ) is not None
            keys = set(session.scalars(select(ServerMeta.key)))
            assert keys == {"epoch"}  # the server key never lives in the database
            assert "vneid_level1" in set(session.scalars(select(Service.code)))
    finally:
        engine.dispose()
