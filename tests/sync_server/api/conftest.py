"""Fixtures for the API tests: a migrated database, the real app, a TestClient and a World."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient


def _load(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("api_factories")

from api_factories import HEADERS, MAX_BODY, World  # noqa: E402

from sync_server.api.app import create_app  # noqa: E402
from sync_server.db.engine import make_engine, make_sessionmaker  # noqa: E402
from sync_server.services.init import migrate  # noqa: E402
from sync_server.settings import get_settings  # noqa: E402


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session, copied for each test (migrating costs ~0.5 s)."""
    path = tmp_path_factory.mktemp("template") / "server.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


PG_ADMIN = os.environ.get(
    "FIELDKIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg(sql: str) -> None:
    import psycopg

    admin = PG_ADMIN.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """One migrated PostgreSQL database per session; tests get copies (CREATE … TEMPLATE)."""
    name = f"fk_tmpl_{uuid.uuid4().hex[:10]}"
    try:
        _pg(f'CREATE DATABASE "{name}"')
    except Exception:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL is not running")
    try:
        migrate(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}")
        yield name
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[str]:
    """A migrated database: a copy of the SQLite template, or a PostgreSQL one from its template."""
    if request.param == "sqlite":
        path = tmp_path / "server.sqlite3"
        shutil.copyfile(migrated_sqlite, path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"fk_{uuid.uuid4().hex[:12]}"
    _pg(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _client(url: str, tmp_path: Path, **overrides: Any) -> Iterator[tuple[TestClient, World]]:
    settings = get_settings(
        database_url=url, data_dir=tmp_path, max_body_bytes=MAX_BODY, **overrides
    )
    engine = make_engine(url)
    world = World(make_sessionmaker(engine))
    world.units()
    with TestClient(create_app(settings), headers=HEADERS) as client:
        yield client, world
    engine.dispose()


@pytest.fixture
def served(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[tuple[TestClient, World]]:
    """The app on a fresh SQLite file, with the standard units."""
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    yield from _client(sqlite_url, tmp_path)


@pytest.fixture
def served_two_workers(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[tuple[TestClient, World]]:
    """The app as one of two worker processes (`serve --workers 2`), on a fresh SQLite file."""
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    yield from _client(sqlite_url, tmp_path, workers=2)


@pytest.fixture
def served_any(any_db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    """The app on SQLite and on PostgreSQL."""
    yield from _client(any_db_url, tmp_path)


@pytest.fixture
def client(served: tuple[TestClient, World]) -> TestClient:
    """A TestClient sending the protocol header (server exceptions are raised, not hidden)."""
    return served[0]


@pytest.fixture
def world(served: tuple[TestClient, World]) -> World:
    """Row factories for the same database."""
    return served[1]
