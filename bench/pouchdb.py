"""The peer: a PouchDB server (express-pouchdb; LevelDB on disk or in memory), `_bulk_docs`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.common import BENCH_DIR, free_port, wait_until

POUCH_DIR = BENCH_DIR / ".pouchdb"
SERVER_JS = BENCH_DIR / "pouchdb_server.js"
PACKAGES = (
    "express",
    "express-pouchdb",
    "pouchdb-core",
    "pouchdb-adapter-memory",
    "pouchdb-adapter-leveldb",
    "pouchdb-mapreduce",
    "pouchdb-replication",
)


class PouchUnavailable(RuntimeError):
    """Node, npm or the PouchDB packages are not available here."""


def ensure_installed() -> Path:
    """npm-install the PouchDB server packages into bench/.pouchdb/ once."""
    modules = POUCH_DIR / "node_modules"
    if all((modules / name).is_dir() for name in PACKAGES):
        return POUCH_DIR
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise PouchUnavailable("node/npm not installed")
    POUCH_DIR.mkdir(parents=True, exist_ok=True)
    package = POUCH_DIR / "package.json"
    if not package.exists():
        package.write_text('{"name": "bench-pouchdb", "private": true, "version": "0.0.0"}\n')
    out = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", *PACKAGES],
        cwd=POUCH_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise PouchUnavailable(f"npm install failed: {out.stderr[-500:]}")
    return POUCH_DIR


@contextmanager
def pouchdb_server(adapter: str = "leveldb") -> Iterator[str]:
    """A running PouchDB server on a free loopback port; yields its base URL.

    "leveldb" stores databases on disk in a temporary directory (pouchdb-server's default
    storage); "memory" keeps them in the node process only.
    """
    ensure_installed()
    with (
        tempfile.TemporaryDirectory(prefix="bench-pouchdb-") as data,
        _serving(adapter, data) as base,
    ):
        yield base


@contextmanager
def _serving(adapter: str, data: str) -> Iterator[str]:
    node = shutil.which("node")
    if node is None:
        raise PouchUnavailable("node not installed")
    port = free_port()
    process = subprocess.Popen(
        [node, str(SERVER_JS), str(port), adapter, data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(base, timeout=2).status_code == 200, 30, "PouchDB server")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def bulk_docs_rate(
    streams: list[list[list[dict[str, Any]]]], base: str, db: str = "entries"
) -> tuple[float, int]:
    """POST each stream's batches to /{db}/_bulk_docs, streams concurrently; (docs/s, docs)."""
    with httpx.Client(timeout=120) as admin:
        admin.put(f"{base}/{db}").raise_for_status()
    bodies = [[httpx.Request("POST", "/", json={"docs": b}).read() for b in s] for s in streams]

    def push(stream: list[bytes]) -> int:
        stored = 0
        with httpx.Client(base_url=base, timeout=120) as client:
            for body in stream:
                response = client.post(
                    f"/{db}/_bulk_docs",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                response.raise_for_status()
                stored += sum(1 for item in response.json() if item.get("ok"))
        return stored

    started = time.perf_counter()
    with ThreadPoolExecutor(len(bodies)) as pool:
        stored = sum(pool.map(push, bodies))
    elapsed = time.perf_counter() - started
    return stored / elapsed, stored
