# mypy: disable-error-code="import-not-found"
"""Fixtures for the end-to-end tests: real server processes, real laptop processes."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("sync_chaos", Path(__file__).parents[1] / "fieldkit" / "sync" / "sync_chaos.py")
_load("e2e_harness", Path(__file__).with_name("e2e_harness.py"))

import e2e_harness  # noqa: E402
import sync_chaos  # noqa: E402


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated server database with units, made once and copied by each test."""
    path = tmp_path_factory.mktemp("template") / "world.sqlite3"
    sync_chaos.migrate_world(f"sqlite:///{path}")
    return path


@pytest.fixture
def fresh_server(tmp_path: Path, world_template: Path) -> Iterator[e2e_harness.ServerProcess]:
    """A server process of its own on a fresh copy of the world (for tests that kill it)."""
    db_url = sync_chaos.world_from_template(world_template, tmp_path / "server.sqlite3")
    server = e2e_harness.ServerProcess(db_url, tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server_process(
    tmp_path_factory: pytest.TempPathFactory, world_template: Path
) -> Iterator[e2e_harness.ServerProcess]:
    """One server process shared by a module's tests (each test uses its own laptops)."""
    home = tmp_path_factory.mktemp("server")
    db_url = sync_chaos.world_from_template(world_template, home / "server.sqlite3")
    server = e2e_harness.ServerProcess(db_url, home).start()
    yield server
    server.stop()


@pytest.fixture
def workers() -> Iterator[list[e2e_harness.Worker]]:
    """Worker processes started by a test (append them); any still running are killed."""
    started: list[e2e_harness.Worker] = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.kill9()
