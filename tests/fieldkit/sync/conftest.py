"""Fixtures for the sync client's tests: the chaos harness, a fault proxy, a sleep recorder."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync_server.api.app import create_app
from sync_server.settings import get_settings


def _load_chaos() -> None:
    if "sync_chaos" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "sync_chaos", Path(__file__).with_name("sync_chaos.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sync_chaos"] = module
    spec.loader.exec_module(module)


_load_chaos()

import sync_chaos  # noqa: E402


class Sleeps(list[float]):
    """Records the backoff delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """A sleep function for RetryPolicy that records instead of waiting."""
    return Sleeps()


@pytest.fixture
def proxy_to() -> Iterator[Callable[[int], sync_chaos.FaultProxy]]:
    """Start fault proxies in front of a port; closed after the test."""
    made: list[sync_chaos.FaultProxy] = []

    def start(port: int) -> sync_chaos.FaultProxy:
        proxy = sync_chaos.FaultProxy(upstream_port=port).start()
        made.append(proxy)
        return proxy

    yield start
    for proxy in made:
        proxy.close()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated server database with units, made once and copied by each test."""
    path = tmp_path_factory.mktemp("template") / "world.sqlite3"
    sync_chaos.migrate_world(f"sqlite:///{path}")
    return path


@pytest.fixture
def served(tmp_path: Path, world_template: Path) -> Iterator[sync_chaos.Served]:
    """A fresh server (SQLite file) with units, running in-process on a free port."""
    db_url = sync_chaos.world_from_template(world_template, tmp_path / "server.sqlite3")
    settings = get_settings(database_url=db_url, data_dir=tmp_path)
    server = sync_chaos.ServerThread(create_app(settings)).start()
    world = sync_chaos.Served(db_url, server.url, tmp_path)
    yield world
    for store in world.stores:
        store.close()
    server.stop()
