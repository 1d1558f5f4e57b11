"""`serve --replicate`: the server never outlives Litestream, so a supervisor restarts both."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sync_chaos import world_from_template

from fieldkit.domain import wire

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    """Child pids of a process, started from any of its threads (Litestream is Go)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += (task / "children").read_text().split()
    return sorted({int(p) for p in found})


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_killing_litestream_stops_the_server_and_frees_the_port(
    tmp_path: Path, world_template: Path
) -> None:
    url = world_from_template(world_template, tmp_path / "server.sqlite3")
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync_server.cli", "--db", url, "serve", "--port", "0",
         "--replicate", str(tmp_path / "replica")],
        stdout=subprocess.PIPE, stderr=log.open("a"), text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while line and "listening on" not in line:
            line = proc.stdout.readline()
        assert "listening on http://" in line, log.read_text()[-2000:]
        base = line.split("listening on ", 1)[1].strip()
        port = int(base.rsplit(":", 1)[1])
        health = httpx.get(f"{base}/api/v1/healthz", headers={wire.PROTOCOL_HEADER: "1.0"})
        assert health.status_code == 200
        [server] = _children(proc.pid)  # litestream (this pid after exec) started the server

        os.kill(proc.pid, signal.SIGKILL)  # Litestream alone
        proc.wait(timeout=10)
        deadline = time.monotonic() + 20
        while _alive(server) or _port_open(port):
            assert time.monotonic() < deadline, "the server outlived its replicator"
            time.sleep(0.2)
        assert "litestream is gone" in log.read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
