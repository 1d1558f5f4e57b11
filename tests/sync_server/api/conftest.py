"""Fixtures for the API tests: a migrated database, the real app, a TestClient and a World."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

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
from sync_server.db.engine import make_engine, make_sessionmaker, migrate  # noqa: E402
from sync_server.settings import get_settings  # noqa: E402


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session, copied for each test (migrating costs ~0.5 s)."""
    path = tmp_path_factory.mktemp("template") / "server.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


def _prepare(url: str, template: Path) -> None:
    """Give the test a migrated database: a copy of the template for SQLite, else migrate."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(template, url.removeprefix("sqlite:///"))
    else:
        migrate(url)


def _client(url: str, tmp_path: Path, template: Path) -> Iterator[tuple[TestClient, World]]:
    _prepare(url, template)
    settings = get_settings(database_url=url, data_dir=tmp_path, max_body_bytes=MAX_BODY)
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
    yield from _client(sqlite_url, tmp_path, migrated_sqlite)


@pytest.fixture
def served_any(
    db_url: str, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[tuple[TestClient, World]]:
    """The app on SQLite and on PostgreSQL."""
    yield from _client(db_url, tmp_path, migrated_sqlite)


@pytest.fixture
def client(served: tuple[TestClient, World]) -> TestClient:
    """A TestClient sending the protocol header (server exceptions are raised, not hidden)."""
    return served[0]


@pytest.fixture
def world(served: tuple[TestClient, World]) -> World:
    """Row factories for the same database."""
    return served[1]
