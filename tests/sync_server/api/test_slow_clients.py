"""Hostile connections against a real `sync-server serve`: huge, dripping and stalled requests.

Each is cut off within its configured limit while a normal request is still answered, and the
server's memory stays bounded. Loopback only, every wait bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fieldkit.domain import wire

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
MAX_HEADER_BYTES = 8192
GRACE = 3.0
"""Seconds allowed beyond a timeout for the server to act on it on a busy machine."""

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Served:
    host: str
    port: int
    pid: int

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`sync-server serve` on a free loopback port with short limits."""
    env = {
        **os.environ,
        "SYNC_SERVER_DATA_DIR": str(tmp_path),
        "SYNC_SERVER_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "SYNC_SERVER_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "SYNC_SERVER_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
    }
    db = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    command = [sys.executable, "-m", "sync_server.cli", "--db", db, "serve", "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the socket is bound (or the process dies)
        assert line.startswith("listening on http://"), line
        host, port = line.split()[-1].removeprefix("http://").rsplit(":", 1)
        served = Served(host, int(port), process.pid)
        assert httpx.get(f"{served.base}/api/v1/healthz", timeout=10).status_code == 200
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mib(pid: int) -> float:
    """A process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def send_huge_head(served: Served, size: int) -> bytes:
    """Send a request whose one header grows to `size` bytes; what came back (b'' if reset)."""
    with socket.create_connection((served.host, served.port), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/healthz HTTP/1.1\r\nHost: t\r\nX-Big: ")
        chunk = b"a" * min(size, 65536)
        try:
            for _ in range(size // len(chunk)):
                sock.sendall(chunk)
        except OSError:
            pass  # the server closed the connection mid-send: refused, as it should
        try:
            return sock.recv(4096)
        except OSError:
            return b""  # reset: the server closed with our bytes unread


def test_oversized_heads_are_refused_and_memory_stays_bounded(served: Served) -> None:
    small = send_huge_head(served, 2 * MAX_HEADER_BYTES)  # fits the socket buffers: a clean 431
    assert small.startswith(b"HTTP/1.1 431 "), small[:200]
    assert b"headers_too_large" in small
    before = rss_mib(served.pid)
    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda _: send_huge_head(served, 10 * 2**20), range(30)))
    assert all(a == b"" or a.startswith(b"HTTP/1.1 431 ") for a in answers)
    grown = rss_mib(served.pid) - before
    assert grown < 40, f"30 unfinished 10 MB heads took {grown:.0f} MiB"
    assert httpx.get(f"{served.base}/api/v1/healthz", timeout=10).status_code == 200


def test_large_bodies_are_not_taken_for_large_heads(served: Served) -> None:
    body = b"[" + b"0," * 200_000 + b"0]"  # 400 kB: its last chunks arrive with the head done
    for _ in range(3):
        response = httpx.post(
            f"{served.base}/api/v1/sync/push",
            content=body,
            headers={
                wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION,
                "Content-Type": "application/json",
                "Authorization": "Bearer not-a-token",
            },
            timeout=30,
        )
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "token_invalid"


async def _until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """Drip one byte every 0.1 s until the server closes the connection; what it answered."""
    received = b""
    while True:
        try:
            writer.write(b"x")
            await writer.drain()
        except ConnectionError:
            return received
        try:
            data = await asyncio.wait_for(reader.read(4096), 0.1)
        except TimeoutError:
            continue
        except ConnectionError:
            return received
        if not data:
            return received
        received += data


async def _open(served: Served, first: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(served.host, served.port)
    writer.write(first)
    await writer.drain()
    return reader, writer


async def _slow_clients(served: Served) -> None:
    drips = [
        await _open(served, b"GET /api/v1/healthz HTTP/1.1\r\nHost: t\r\nX-Drip: ")
        for _ in range(50)
    ]
    silent = [await asyncio.open_connection(served.host, served.port) for _ in range(10)]
    push_head = (
        b"POST /api/v1/sync/push HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + f"{wire.PROTOCOL_HEADER}: {wire.PROTOCOL_VERSION}\r\n".encode()
        + b"Authorization: Bearer x\r\nContent-Length: 100000\r\n\r\n{"
    )
    bodies = [await _open(served, push_head) for _ in range(10)]
    stray_head = b"GET /api/v1/healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n{"
    strays = [await _open(served, stray_head) for _ in range(10)]
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=served.base, timeout=10) as client:
        normal = await client.get("/api/v1/healthz")  # served while the slow ones wait
    assert normal.status_code == 200

    async def closed(
        pair: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> tuple[bytes, float]:
        answer = await _until_closed(*pair)
        pair[1].close()
        return answer, time.monotonic() - started

    async def silent_closed(
        pair: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> tuple[bytes, float]:
        answer = await pair[0].read()  # until EOF
        pair[1].close()
        return answer, time.monotonic() - started

    async with asyncio.timeout(HEADER_TIMEOUT + BODY_TIMEOUT + 2 * GRACE):
        dripped = await asyncio.gather(*(closed(p) for p in drips))
        stalled = await asyncio.gather(*(closed(p) for p in bodies))
        stray = await asyncio.gather(*(closed(p) for p in strays))
        quiet = await asyncio.gather(*(silent_closed(p) for p in silent))
    for answer, after in dripped:
        assert answer.startswith(b"HTTP/1.1 408 ") and b"headers_timeout" in answer, answer
        assert after < HEADER_TIMEOUT + GRACE
    for answer, after in stalled:
        assert answer.startswith(b"HTTP/1.1 408 ") and b"body_timeout" in answer, answer
        assert after < BODY_TIMEOUT + GRACE
    for answer, after in stray:  # answered at once; the body no one reads ends the connection
        assert answer.startswith(b"HTTP/1.1 200 "), answer
        assert after < GRACE
    for answer, after in quiet:
        assert answer.startswith(b"HTTP/1.1 408 ") and b"headers_timeout" in answer, answer
        assert after < HEADER_TIMEOUT + GRACE


def test_slow_clients_are_cut_off_while_others_are_served(served: Served) -> None:
    asyncio.run(_slow_clients(served))
    assert httpx.get(f"{served.base}/api/v1/healthz", timeout=10).status_code == 200
