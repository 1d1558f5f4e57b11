"""`sync-server serve --replicate DIR`: the server runs under Litestream and a restore brings
acknowledged writes back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from sync_server.cli import litestream_binary, litestream_config

CliRunner = Callable[..., Any]


def test_litestream_binary_and_config(tmp_path: Path) -> None:
    binary = litestream_binary()
    assert binary.name == "litestream" and os.access(binary, os.X_OK)
    config = litestream_config(tmp_path / "db.sqlite3", tmp_path / "replica")
    assert config["dbs"][0]["replica"] == {"type": "file", "path": str(tmp_path / "replica")}


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.slow
def test_serve_replicates_and_restore_brings_writes_back(proc: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite3"
    url = f"sqlite:///{db}"
    replica = tmp_path / "replica"
    assert proc("--db", url, "seed", "--province", "12").code == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "sync_server.cli", "--db", url, "serve", "--port", "0",
         "--replicate", str(replica)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        while line and "listening on" not in line:
            line = server.stdout.readline()
        assert "listening on http://" in line
        added = proc("--db", url, "user", "add", "--role", "province", "--unit", "12",
                     "--name", "Cán Bộ Tỉnh")  # fmt: skip
        assert added.code == 0
        restored = tmp_path / "restored.sqlite3"

        def restored_has_user() -> bool:
            if restored.exists():
                restored.unlink()
            subprocess.run(
                [str(litestream_binary()), "restore", "-o", str(restored), f"file://{replica}"],
                capture_output=True,
                timeout=60,
            )
            if not restored.exists():
                return False
            engine = create_engine(f"sqlite:///{restored}")
            try:
                with engine.connect() as conn:
                    names = conn.execute(text("select name from users where role = 'province'"))
                    return "Cán Bộ Tỉnh" in {row[0] for row in names}
            finally:
                engine.dispose()

        assert _wait_for(restored_has_user, timeout=60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
