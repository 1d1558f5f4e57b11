# mypy: disable-error-code="import-not-found"
"""End-to-end machinery: a killable server process and laptop worker processes.

Loaded by path (as module `e2e_harness`) from tests/e2e/conftest.py.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

WORKER = Path(__file__).with_name("laptop_worker.py")


WORKER = Path(__file__).with_name("laptop_worker.py")


class ServerProcess:
    """`python -m sync_server.server` in its own process; can be killed with SIGKILL."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.db_url = db_url
        self.data_dir = data_dir
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        """Start (on the same port as before, if any) and wait until it listens."""
        return self.launch().wait_ready()

    def launch(self) -> ServerProcess:
        """Start the process without waiting (it imports and migrates for a few seconds)."""
        env = os.environ | {
            "SYNC_SERVER_DATABASE_URL": self.db_url,
            "SYNC_SERVER_DATA_DIR": str(self.data_dir),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync_server.server", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=self.log.open("a"),
            text=True,
            env=env,
        )
        return self

    def wait_ready(self) -> ServerProcess:
        """Wait for its `listening on http://HOST:PORT` line."""
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on"):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}; see {self.log.read_text()}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    def kill9(self) -> None:
        """SIGKILL, no goodbye: whatever was not committed is gone."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Stop if running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Worker:
    """A laptop_worker.py process whose stdout lines are collected by a reader thread."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.strip())
                self.times.append(time.monotonic())
                self.changed.notify_all()
        with self.changed:
            self.lines.append("<eof>")
            self.changed.notify_all()

    def wait_for(self, prefix: str, count: int = 1, timeout: float = 60.0) -> list[str]:
        """Block until `count` lines start with `prefix` (or the process ends)."""
        with self.changed:
            self.changed.wait_for(
                lambda: (
                    sum(x.startswith(prefix) for x in self.lines) >= count or "<eof>" in self.lines
                ),
                timeout=timeout,
            )
            found = [x for x in self.lines if x.startswith(prefix)]
        if len(found) < count:
            raise AssertionError(
                f"wanted {count} x {prefix!r}, got {self.lines[-5:]}: {self.stderr()}"
            )
        return found

    def kill9(self) -> None:
        """SIGKILL this worker and reap it."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def finish(self, timeout: float = 90.0) -> int:
        """Wait for a normal exit and the last line to be read."""
        code = self.proc.wait(timeout=timeout)
        self.wait_for("<eof>", timeout=10)
        return code

    def saved(self) -> set[str]:
        """Entry ids this worker reported as committed."""
        with self.changed:
            return {x.split()[1] for x in self.lines if x.startswith("saved ")}

    def stderr(self) -> str:
        """What the worker wrote to stderr (only once it ended)."""
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()[-2000:]


def start_worker(*args: str) -> Worker:
    """Start laptop_worker.py with these arguments."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    return Worker(proc)


def integrity(path: Path) -> str:
    """PRAGMA integrity_check of a SQLite file ("ok" when healthy)."""
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def new_laptop(server_url: str, db_url: str, home: Path, village: str, name: str) -> Path:
    """Enrol a new volunteer's laptop over HTTP; returns its database file (store closed)."""
    import sync_chaos

    from fieldkit.store import create_profile
    from fieldkit.sync import enroll

    code = sync_chaos.add_volunteer(db_url, village, name)
    enrolled = enroll(server_url, code, f"laptop {name}")
    store = create_profile(home / enrolled.device_id, enrolled, server_url)
    path = store.path
    store.close()
    return path
