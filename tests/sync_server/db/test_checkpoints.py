"""WAL checkpoints run in the background after commits, not inside a writer's COMMIT."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from sync_server.api.app import create_app
from sync_server.api.runtime import runtime_of
from sync_server.db.checkpoints import Checkpointer
from sync_server.db.engine import make_engine
from sync_server.services.init import migrate
from sync_server.settings import ServerSettings


def _wal_index(path: Path) -> tuple[int, int]:
    """(mxFrame, nBackfill) from the WAL index: frames written, frames copied to the database.

    Read straight from the -shm file (as SQLite's own tests do), so looking changes nothing.
    """
    header = (path.parent / f"{path.name}-shm").read_bytes()[:100]
    return struct.unpack_from("=I", header, 16)[0], struct.unpack_from("=I", header, 96)[0]


def _until(condition: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_commits_are_checkpointed_by_the_thread_and_not_by_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    checkpointer = Checkpointer(engine)
    assert checkpointer.enabled
    checkpointer.start()
    try:
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            conn.execute(text("CREATE TABLE t (x TEXT)"))
        for _ in range(20):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "y" * 500}] * 100)
        # Nobody else checkpoints (and 2,000 rows never reach the automatic 1,000 pages):
        # the thread copied every frame the writers wrote into the database file.
        assert _until(lambda: _wal_index(path)[1] == _wal_index(path)[0] > 0)
        assert checkpointer.checkpoints > 0
        before = checkpointer.checkpoints
    finally:
        checkpointer.stop()
    assert checkpointer.checkpoints == before + 1  # stop() checkpoints once more
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2000
    engine.dispose()


def test_in_memory_and_postgresql_engines_are_left_alone(pg_url: str) -> None:
    for url in ("sqlite://", pg_url):
        engine = make_engine(url)
        checkpointer = Checkpointer(engine)
        assert not checkpointer.enabled
        checkpointer.start()
        checkpointer.stop()
        assert checkpointer.checkpoints == 0
        engine.dispose()


def test_the_app_runs_the_checkpointer_for_its_lifetime(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    migrate(url)
    app = create_app(ServerSettings(database_url=url))
    checkpointer = runtime_of(app).checkpointer
    with TestClient(app) as client:
        assert client.get("/api/v1/healthz").status_code == 200
        thread = checkpointer._thread
        assert thread is not None and thread.is_alive()
    assert checkpointer._thread is None and not thread.is_alive()
