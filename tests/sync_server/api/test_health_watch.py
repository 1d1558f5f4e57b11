"""/healthz answers from a watcher's last database check: never waiting, and never stale."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_factories import HEADERS
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sync_server.api.app import create_app
from sync_server.api.runtime import runtime_of
from sync_server.settings import get_settings

HEALTH = "/api/v1/healthz"


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path, migrated_sqlite: Path) -> Iterator[TestClient]:
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    app = create_app(get_settings(database_url=sqlite_url, data_dir=tmp_path))
    with TestClient(app, headers=HEADERS) as client:
        yield client


def _until(client: TestClient, status: int, within: float = 20.0) -> Any:
    """Poll /healthz until it answers `status` (a bounded wait, not a timing assertion)."""
    deadline = time.monotonic() + within
    while True:
        response = client.get(HEALTH)
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, response.text
            return response.json()
        time.sleep(0.05)


def test_a_database_that_fails_turns_healthz_503_and_back(
    served: TestClient, sqlite_url: str
) -> None:
    ok = _until(served, 200)
    assert ok["db"] == "ok" and ok["status"] == "ok" and ok["server_epoch"]
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:  # the epoch's table disappears under the server
        db.execute("ALTER TABLE server_meta RENAME TO server_meta_gone")
    assert _until(served, 503)["error"]["code"] == "database_unavailable"
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE server_meta_gone RENAME TO server_meta")
    assert _until(served, 200)["server_epoch"] == ok["server_epoch"]


class Stuck:
    """A session factory whose sessions are handed out only once `release` is set."""

    def __init__(self, factory: Callable[[], Session]) -> None:
        self.factory = factory
        self.release = threading.Event()
        self.waiting = threading.Event()

    def __call__(self) -> Session:
        self.waiting.set()
        self.release.wait(60)
        return self.factory()


def test_healthz_answers_while_the_check_hangs_then_says_503(served: TestClient) -> None:
    watch = runtime_of(served.app).health  # type: ignore[arg-type]
    epoch = _until(served, 200)["server_epoch"]
    stuck = Stuck(watch.factory)
    watch.factory = stuck  # type: ignore[assignment]
    try:
        assert stuck.waiting.wait(20), "the watcher never checked again"
        # The check hangs; the probe still answers, from the last good check …
        response = served.get(HEALTH)
        assert response.status_code == 200 and response.json()["server_epoch"] == epoch
        # … until that check is too old to vouch for the database.
        watch.stale_after = 0.2
        body = _until(served, 503)
        assert body["error"]["code"] == "database_unavailable"
    finally:
        stuck.release.set()
    watch.stale_after = 5.0
    assert _until(served, 200)["server_epoch"] == epoch


def test_a_database_that_never_answered_is_503_at_once(tmp_path: Path) -> None:
    settings = get_settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = create_app(settings)
    with TestClient(app, headers=HEADERS) as client:
        response = client.get(HEALTH)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "database_unavailable"
        assert not runtime_of(app).health.current().db_ok
