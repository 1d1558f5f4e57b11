"""WAL checkpoints off the writers' path: a background thread per server process.

SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages, while that
writer still holds the write lock; under a steady push load that was every other batch, and
every push queued behind it. The server's connections turn it off (`wal_autocheckpoint=0`)
and this thread runs the same PASSIVE checkpoint right after commits instead, on its own
connection, while the next writer goes on. PASSIVE never blocks readers or writers and never
truncates the WAL, so Litestream replication is unaffected (docs/architecture.md, Storage).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

from sync_server.db.engine import sqlite_file

log = logging.getLogger(__name__)

PAUSE = 1.0
"""At most one checkpoint per this many seconds (commits in between share one).

A checkpoint copies each page changed since the last one into the database file once, however
many commits changed it; the tally rows, the index pages and the B-tree interior pages change
in every push. Measured at full ingest (2 workers, 100,000 entries): 8–10 µs of checkpoint CPU
per entry with 0.05 s, 4.4 µs with 0.25 s, 2.2 µs with 1 s. The WAL then holds about a second
of pushes (a few tens of MB at full rate), which readers and Litestream handle as before.
"""


def _no_autocheckpoint(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()


class Checkpointer:
    """Checkpoints an engine's SQLite file after commits, from one daemon thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = sqlite_file(engine.url) is not None
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        """How many checkpoints ran (for tests and diagnostics)."""

    def start(self) -> None:
        """Turn off automatic checkpoints on connections made from now on; start the thread."""
        if not self.enabled or self._thread is not None:
            return
        event.listen(self.engine, "connect", _no_autocheckpoint)
        event.listen(self.engine, "commit", self._committed)
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then checkpoint once more."""
        if self._thread is None:
            return
        event.remove(self.engine, "commit", self._committed)
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=30)
        self._thread = None
        try:
            self._checkpoint()
        except Exception:  # at shutdown too, the WAL keeps every page
            log.warning("WAL checkpoint failed", exc_info=True)

    def _committed(self, conn: Any) -> None:
        self._wake.set()

    def _checkpoint(self) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.fetchall()
            finally:
                cursor.close()
            self.checkpoints += 1
        finally:
            raw.close()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                self._checkpoint()
            except Exception:  # a failed checkpoint loses nothing: the WAL keeps every page
                log.warning("WAL checkpoint failed", exc_info=True)
            # Commits during the pause set the event again: one checkpoint covers them all.
            time.sleep(PAUSE)
