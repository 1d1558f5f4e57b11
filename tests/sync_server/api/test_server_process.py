"""The real thing: `python -m sync_server.server` in a subprocess, spoken to over loopback HTTP."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_factories import HEADERS, VILLAGE_A, World, entry, push_body

from sync_server.db.engine import make_engine, make_sessionmaker


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A migrated server on a free port; yields (base URL, database URL)."""
    db = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = {**os.environ, "SYNC_SERVER_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sync_server.server", "--db", db, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the socket is bound (or the process dies)
        assert line.startswith("listening on http://"), line
        yield line.split()[-1], db
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_enroll_push_pull_over_real_http(server: tuple[str, str]) -> None:
    base, db = server
    engine = make_engine(db)
    world = World(make_sessionmaker(engine))
    world.units()
    code = world.enrollment_code(world.volunteer_user(VILLAGE_A))
    with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client:
        health = client.get("/api/v1/healthz")
        assert health.json()["db"] == "ok"
        enrolled = client.post("/api/v1/enroll", json={"code": code, "device_name": "t"}).json()
        auth = {"Authorization": f"Bearer {enrolled['token']}"}
        body = gzip.compress(json.dumps(push_body(entry(VILLAGE_A), entry(VILLAGE_A))).encode())
        pushed = client.post(
            "/api/v1/sync/push",
            content=body,
            headers=auth | {"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["last_mutation_id"] == 2
        pulled = client.get("/api/v1/sync/pull", params={"cursor": 0}, headers=auth)
        assert pulled.status_code == 200
        assert pulled.headers["content-encoding"] == "gzip"  # httpx asks for gzip by default
        assert pulled.json()["last_mutation_id"] == 2
    assert len(world.entries()) == 2
    engine.dispose()
