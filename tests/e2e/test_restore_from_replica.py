# mypy: disable-error-code="import-not-found"
"""The whole backup story with real parts: `serve --replicate`, a laptop, a point-in-time
`sync-server restore` that loses acknowledged entries, and the laptop sending them again."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_harness import integrity, new_laptop
from sync_chaos import VILLAGE_A, make_entry, province_achieved, server_entries, world_from_template

from fieldkit.store import SavedEntry, Store
from fieldkit.sync import sync_once
from sync_server.cli import litestream_binary

pytestmark = pytest.mark.slow


def sync_server(*args: str) -> subprocess.CompletedProcess[str]:
    """`sync-server …` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "sync_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


class Replicated:
    """`sync-server serve --port 0 --replicate DIR`: Litestream with the server as its child."""

    def __init__(self, db_url: str, replica: Path, log: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync_server.cli", "--db", db_url, "serve", "--port", "0",
             "--replicate", str(replica)],
            stdout=subprocess.PIPE,
            stderr=log.open("a"),
            text=True,
            start_new_session=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        while line and "listening on" not in line:
            line = self.proc.stdout.readline()
        if "listening on http://" not in line:
            self.stop()
            raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
        self.url = line.split("listening on ", 1)[1].strip()

    def stop(self) -> None:
        """SIGTERM to Litestream and the server (their own process group), then reap."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def replicated_ids(replica: Path, probe: Path) -> set[str]:
    """Entry ids in a fresh restore of the replica (empty when it cannot be restored yet)."""
    probe.unlink(missing_ok=True)
    subprocess.run(
        [str(litestream_binary()), "restore", "-o", str(probe), f"file://{replica}"],
        capture_output=True,
        timeout=60,
    )
    if not probe.exists():
        return set()
    conn = sqlite3.connect(probe)
    try:
        return {row[0] for row in conn.execute("select id from entries")}
    finally:
        conn.close()


def ids(saved: list[SavedEntry]) -> set[str]:
    return {str(s.entry_id) for s in saved}


def stored_rows(db: Path, device_id: str) -> int:
    conn = sqlite3.connect(db)
    try:
        found = conn.execute("select count(*) from entries where device_id = ?", (device_id,))
        return int(found.fetchone()[0])
    finally:
        conn.close()


def test_point_in_time_restore_then_the_laptop_sends_the_lost_entries(
    tmp_path: Path, world_template: Path
) -> None:
    db = tmp_path / "server.sqlite3"
    url = world_from_template(world_template, db)
    replica, probe, log = tmp_path / "replica", tmp_path / "probe.sqlite3", tmp_path / "serve.log"
    server = Replicated(url, replica, log)
    try:
        store = Store(new_laptop(server.url, url, tmp_path / "home", VILLAGE_A, "Đinh Thị Hoa"))
        first = store.save_entries([make_entry(VILLAGE_A) for _ in range(5)])
        assert sync_once(store).accepted == 5
        wait_for(lambda: ids(first) <= replicated_ids(replica, probe))
        moment = datetime.now(UTC)
        time.sleep(1.5)  # batch 2 lands in the replica strictly after the restore point
        second = store.save_entries([make_entry(VILLAGE_A) for _ in range(4)])
        assert sync_once(store).accepted == 4
        wait_for(lambda: ids(second) <= replicated_ids(replica, probe))
    finally:
        server.stop()
    old_epoch = store.server_epoch()
    device = store.profile.device_id

    restored = sync_server("--db", url, "restore", "--from", str(replica),
                           "--timestamp", moment.isoformat(), "--force")  # fmt: skip

    assert restored.returncode == 0, restored.stderr
    assert "entries back:" in restored.stdout and "Traceback" not in restored.stderr
    found = re.search(r"new epoch: ([0-9a-f]+)", restored.stdout)
    assert found is not None and found.group(1) != old_epoch
    assert list(tmp_path.glob("server.sqlite3.before-restore-*"))  # kept, not deleted
    on_server = set(server_entries(url, device))
    assert ids(first) <= on_server and not ids(second) & on_server  # acknowledged, then lost

    server = Replicated(url, replica, log)
    try:
        store.set_server_url(server.url)
        report = sync_once(store)
        assert report.epoch_reset and store.server_epoch() == found.group(1)
        assert store.pending_count() == 0
        on_server = set(server_entries(url, device))
        assert on_server == ids(first + second)
        assert stored_rows(db, device) == 9  # each entry exactly once
        assert province_achieved(url) == 9
        # The replica follows the restored database: restoring it again loses nothing.
        wait_for(lambda: ids(first + second) <= replicated_ids(replica, probe))
    finally:
        server.stop()
        store.close()
    recount = sync_server("--db", url, "recount", "--check")
    assert recount.returncode == 0, recount.stdout + recount.stderr
    assert integrity(db) == "ok"
