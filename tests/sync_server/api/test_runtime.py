"""The interpreter settings the server runs under while serving, and gives back afterwards."""

from __future__ import annotations

import gc
import shutil
import sys
from pathlib import Path

from api_factories import HEADERS
from fastapi.testclient import TestClient

from sync_server.api.app import GC_THRESHOLDS, SWITCH_INTERVAL, create_app
from sync_server.api.runtime import Runtime, runtime_of
from sync_server.settings import get_settings


def test_serving_tunes_gc_and_switch_interval_then_restores_them(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> None:
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    before = (gc.get_threshold(), sys.getswitchinterval())
    assert before[0] != GC_THRESHOLDS
    app = create_app(get_settings(database_url=sqlite_url, data_dir=tmp_path))
    with TestClient(app, headers=HEADERS) as client:
        assert client.get("/api/v1/healthz").status_code == 200
        assert gc.get_threshold() == GC_THRESHOLDS
        assert sys.getswitchinterval() == SWITCH_INTERVAL
        # Cyclic garbage is still collected, only less often.
        collected = gc.get_stats()[0]["collections"]
        for _ in range(GC_THRESHOLDS[0] // 2 + 1):
            pair: list[object] = []
            pair.append(pair)
            pair.append([pair])
        assert gc.get_stats()[0]["collections"] > collected
    assert (gc.get_threshold(), sys.getswitchinterval()) == before


def test_the_app_keeps_one_typed_runtime_and_nothing_else(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> None:
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    app = create_app(get_settings(database_url=sqlite_url, data_dir=tmp_path))
    assert list(app.state._state) == ["runtime"]
    runtime = runtime_of(app)
    assert isinstance(runtime, Runtime)
    assert runtime.settings.database_url == sqlite_url
    assert runtime.secret == runtime.pushing.secret
    with TestClient(app, headers=HEADERS) as client:
        assert client.get("/api/v1/healthz").status_code == 200
