"""Fixtures for the staff web app: the real app on a migrated SQLite copy per test."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sync_server.api.app import create_app
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.services.init import migrate
from sync_server.settings import get_settings


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("api_factories", Path(__file__).parents[1] / "api" / "api_factories.py")
_load("web_helpers", Path(__file__).with_name("web_helpers.py"))
_load("commune_world", Path(__file__).with_name("commune_world.py"))
_load("browser_helpers", Path(__file__).with_name("browser_helpers.py"))

from api_factories import World  # noqa: E402
from browser_helpers import chromium  # noqa: E402
from web_helpers import AppFactory  # noqa: E402


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session, copied for each test."""
    path = tmp_path_factory.mktemp("web-template") / "server.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


def _factory(url: str, tmp_path: Path) -> Iterator[AppFactory]:
    engine = make_engine(url)
    world = World(make_sessionmaker(engine))
    world.units()
    clients: list[TestClient] = []

    def build(base_url: str = "http://testserver", **overrides: Any) -> tuple[TestClient, World]:
        settings = get_settings(database_url=url, data_dir=tmp_path, **overrides)
        client = TestClient(create_app(settings), follow_redirects=False, base_url=base_url)
        client.__enter__()
        clients.append(client)
        return client, world

    yield build
    # Last started, first stopped: each app's lifespan restores the interpreter settings it
    # found (GC thresholds, switch interval), so apps must stop in reverse order.
    for client in reversed(clients):
        client.__exit__(None, None, None)
    engine.dispose()


@pytest.fixture
def make_web(tmp_path: Path, web_template: Path) -> Iterator[AppFactory]:
    """Build the real app (settings overridable) on a fresh database with the standard units."""
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(web_template, path)
    yield from _factory(f"sqlite:///{path}", tmp_path)


@pytest.fixture
def make_web_pg(tmp_path: Path, pg_url: str) -> Iterator[AppFactory]:
    """The same on a fresh, migrated PostgreSQL database."""
    migrate(pg_url)
    yield from _factory(pg_url, tmp_path)


@pytest.fixture
def web(make_web: AppFactory) -> tuple[TestClient, World]:
    """The app with default settings and the World that fills its database."""
    return make_web()


@pytest.fixture
def client(web: tuple[TestClient, World]) -> TestClient:
    """A browser-like client (redirects are not followed, cookies are kept)."""
    return web[0]


@pytest.fixture
def world(web: tuple[TestClient, World]) -> World:
    """Row factories for the app's database."""
    return web[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per browser-test module (launched in browser_helpers.chromium)."""
    with chromium() as launched:
        yield launched
