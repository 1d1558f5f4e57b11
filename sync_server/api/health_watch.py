"""What `/healthz` reports, kept fresh by a thread of its own so that the answer never waits.

The probe used to read the database on a thread for each request. Under the load test (200
laptops pushing, 50 staff reads/s, 2 workers) that hop was most of its server time: waking a
thread that then had to win the GIL from the push threads, and winning it back on the event
loop (p99 62 ms to start the thread, 35 ms more to come back; bench/README.md). Now one
daemon thread per process reads the database every `CHECK_EVERY` seconds and keeps the
result; the route answers from it on the event loop without waiting for a thread, a
connection or a lock.

The answer stays truthful: it says the database answers only if a check succeeded within
`STALE_AFTER` seconds, so a database that fails or hangs turns `/healthz` into a 503 within
that time. (A server whose Litestream replicator dies stops altogether: `sync-server serve
--replicate`.)
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sync_server.db.engine import ReadOnlyViolation
from sync_server.services import secrets as server_secrets

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0
"""Seconds between two database checks (one `SELECT` and the epoch read: well under 1 ms)."""
STALE_AFTER = 5.0
"""A check older than this no longer says the database answers (a check is hanging)."""


@dataclass(frozen=True)
class HealthState:
    """The last check: does the database answer, with which epoch, and when it was asked."""

    db_ok: bool
    epoch: str
    checked_at: float
    """`time.monotonic()` when the check ended."""
    problem: str = ""
    """Why the database is not ok (for logs; the HTTP answer stays generic)."""


NOT_CHECKED = HealthState(db_ok=False, epoch="", checked_at=float("-inf"), problem="not checked")


class HealthWatch:
    """Checks the database from a daemon thread; `current()` is the state a probe reports."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        every: float = CHECK_EVERY,
        stale_after: float = STALE_AFTER,
    ) -> None:
        self.factory = factory
        self.every = every
        self.stale_after = stale_after
        self._state = NOT_CHECKED
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> HealthState:
        """Ask the database once (a read transaction of its own) and keep the result."""
        try:
            with self.factory() as session:
                session.execute(text("SELECT 1"))
                epoch = server_secrets.server_epoch(session)
            state = HealthState(db_ok=True, epoch=epoch, checked_at=time.monotonic())
        except (SQLAlchemyError, ReadOnlyViolation) as exc:
            state = HealthState(False, "", time.monotonic(), problem=type(exc).__name__)
        if state.db_ok != self._state.db_ok:
            log.log(logging.INFO if state.db_ok else logging.WARNING, "database ok: %s", state)
        self._state = state  # one reference swap: readers see the old state or the new one
        return state

    def current(self) -> HealthState:
        """The last check, or a failed state when it is older than `stale_after`."""
        state = self._state
        age = time.monotonic() - state.checked_at
        if state.db_ok and age > self.stale_after:
            return HealthState(False, "", state.checked_at, problem=f"no check for {age:.0f} s")
        return state

    def start(self) -> None:
        """Check once now (the first probe already has an answer), then every `every` s."""
        if self._thread is not None:
            return
        self._stop.clear()
        self.check()
        self._thread = threading.Thread(target=self._run, name="health-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (waits for a check in progress)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=self.stale_after + 5)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # never let the watcher die: a stale state turns into a 503
                log.exception("health check failed")
