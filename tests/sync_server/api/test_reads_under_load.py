"""Reads and token checks never queue for the write lock, and queued pushes leave threads free."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_factories import HEADERS, VILLAGE_A, World, entry, login, push_body
from fastapi.testclient import TestClient
from sqlalchemy import text

from sync_server.api.app import create_app
from sync_server.api.runtime import runtime_of
from sync_server.db.engine import (
    BUSY_TIMEOUT_MS,
    ReadOnlyViolation,
    make_engine,
    make_sessionmaker,
    read_only,
    writing,
)
from sync_server.settings import get_settings

PUSH = "/api/v1/sync/push"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Wait until `condition()` holds (the app's threads move on their own)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@pytest.fixture
def app_on_sqlite(
    tmp_path: Path, migrated_sqlite: Path
) -> Iterator[Callable[..., tuple[TestClient, World, Path]]]:
    """Build the app on a fresh SQLite copy with settings overrides; yields a factory."""
    opened: list[tuple[TestClient, Any]] = []

    def build(**overrides: Any) -> tuple[TestClient, World, Path]:
        path = tmp_path / f"server{len(opened)}.sqlite3"
        path.write_bytes(migrated_sqlite.read_bytes())
        url = f"sqlite:///{path}"
        settings = get_settings(database_url=url, data_dir=tmp_path, **overrides)
        engine = make_engine(url)
        world = World(make_sessionmaker(engine))
        world.units()
        client = TestClient(create_app(settings), headers=HEADERS)
        client.__enter__()
        opened.append((client, engine))
        return client, world, path

    yield build
    for client, engine in opened:
        client.__exit__(None, None, None)
        engine.dispose()


def test_reads_and_token_checks_never_wait_for_a_writer(
    app_on_sqlite: Callable[..., tuple[TestClient, World, Path]],
) -> None:
    client, world, path = app_on_sqlite()
    volunteer = world.volunteer(VILLAGE_A)
    revoked = world.volunteer(VILLAGE_A, name="Lê Văn Cường")
    world.revoke(revoked.device_id)
    world.staff("coordinator", "21550", "Điều Phối")
    staff = login(client, "Điều Phối")
    assert client.post(PUSH, json=push_body(entry(VILLAGE_A)), headers=volunteer.auth).is_success
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another writer holds the lock meanwhile
        reads = {
            "/api/v1/healthz": {},
            "/api/v1/sync/pull": volunteer.auth,
            "/api/v1/tally?unit=21550": staff,
            "/api/v1/units?parent=52": staff,
            "/api/v1/quotas?unit=21550": staff,
        }
        for route, auth in reads.items():
            response = client.get(route, headers=auth)
            assert response.status_code == 200, (route, response.text)
        garbage = client.get("/api/v1/tally", headers={"Authorization": "Bearer nonsense"})
        assert garbage.status_code == 401 and garbage.json()["error"]["code"] == "token_invalid"
        gone = client.get("/api/v1/sync/pull", headers=revoked.auth)
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "token_revoked"
        writer.execute("ROLLBACK")
    finally:
        writer.close()


def test_a_write_in_a_read_only_transaction_fails_at_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    factory = make_sessionmaker(read_only(engine))
    try:
        with factory() as session:
            assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
            with pytest.raises(ReadOnlyViolation):
                session.execute(text("INSERT INTO t VALUES (1)"))
            session.rollback()
            with writing(session):
                session.execute(text("INSERT INTO t VALUES (2)"))
            assert session.execute(text("SELECT x FROM t")).scalars().all() == [2]
            with pytest.raises(RuntimeError, match="no transaction open"), writing(session):
                pass  # the SELECT above opened a read transaction
    finally:
        engine.dispose()


def test_pushes_queued_on_the_writers_lock_leave_threads_for_everything_else(
    app_on_sqlite: Callable[..., tuple[TestClient, World, Path]],
) -> None:
    client, world, _ = app_on_sqlite()
    app: Any = client.app
    volunteer = world.volunteer(VILLAGE_A)
    body = push_body(entry(VILLAGE_A))
    count = 60  # more than the 40 threads of AnyIO's default limiter

    def push() -> httpx.Response:
        return client.post(PUSH, json=body, headers=volunteer.auth)

    with ThreadPoolExecutor(count) as pool:
        with runtime_of(app).pushing.writers:  # every push waits for the writers' lock
            futures = [pool.submit(push) for _ in range(count)]
            load = runtime_of(app).push_load
            _wait_for(lambda: load.in_flight == count, f"{count} pushes in flight")
            health = client.get("/api/v1/healthz")
            assert health.status_code == 200
            pulled = client.get("/api/v1/sync/pull", headers=volunteer.auth)
            assert pulled.status_code == 200 and pulled.json()["last_mutation_id"] == 0
        responses = [f.result(30) for f in futures]
    assert [r.status_code for r in responses] == [200] * count
    assert all(r.json()["last_mutation_id"] == 1 for r in responses)
    assert len(world.entries()) == 1


def test_a_push_beyond_the_queue_is_told_to_come_back(
    app_on_sqlite: Callable[..., tuple[TestClient, World, Path]],
) -> None:
    client, world, _ = app_on_sqlite(push_threads=1, push_queue=2)
    app: Any = client.app
    volunteer = world.volunteer(VILLAGE_A)
    body = push_body(entry(VILLAGE_A))
    threads = runtime_of(app).push_threads

    def push() -> httpx.Response:
        return client.post(PUSH, json=body, headers=volunteer.auth)

    with ThreadPoolExecutor(4) as pool:
        with runtime_of(app).pushing.writers:
            first: Future[httpx.Response] = pool.submit(push)
            _wait_for(lambda: threads.borrowed_tokens == 1, "the first push on its thread")
            queued = [pool.submit(push), pool.submit(push)]
            _wait_for(lambda: threads.statistics().tasks_waiting == 2, "two pushes queued")
            refused = push()
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "server_busy"
            assert refused.headers["retry-after"] == "1"
        assert [f.result(30).status_code for f in (first, *queued)] == [200, 200, 200]
    assert push().json()["last_mutation_id"] == 1  # the refused batch, sent again, is acked
    assert len(world.entries()) == 1


def _last_sync(path: Path, device_id: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT last_sync_at FROM devices WHERE id = ?", (device_id,)
        ).fetchone()[0]


def test_a_pull_records_its_time_but_never_waits_for_a_writer(
    app_on_sqlite: Callable[..., tuple[TestClient, World, Path]],
) -> None:
    client, world, path = app_on_sqlite()
    volunteer = world.volunteer(VILLAGE_A)
    assert _last_sync(path, volunteer.device_id) is None
    assert client.get("/api/v1/sync/pull", headers=volunteer.auth).status_code == 200
    assert _last_sync(path, volunteer.device_id) is not None  # a laptop that only pulls synced
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("UPDATE devices SET last_sync_at = NULL")
        writer.execute("BEGIN IMMEDIATE")  # another writer holds the lock meanwhile
        started = time.monotonic()
        pulled = client.get("/api/v1/sync/pull", headers=volunteer.auth)
        waited = time.monotonic() - started
        assert pulled.status_code == 200, pulled.text
        assert waited < BUSY_TIMEOUT_MS / 1000 / 2, f"the pull waited {waited:.1f} s for the lock"
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert _last_sync(path, volunteer.device_id) is None  # skipped, not queued
