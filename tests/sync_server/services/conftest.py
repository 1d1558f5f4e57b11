"""A migrated server database per test, on SQLite and PostgreSQL, and the factories module."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.services.init import migrate

FACTORIES = "server_factories"
"""tests/sync_server/services/server_factories.py, importable from the tests."""

if FACTORIES not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        FACTORIES, Path(__file__).with_name(f"{FACTORIES}.py")
    )
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[FACTORIES] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a freshly migrated database."""
    migrate(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session; tests commit like the API would."""
    with make_sessionmaker(engine)() as session:
        yield session
