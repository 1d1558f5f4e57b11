"""One writer at a time on a SQLite file, handed over at once across threads and processes.

SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps in the
busy handler (1, 2, 5, 10 … ms) and often wakes long after the lock came free. Pushes take this
lock first: threads queue on a mutex and server processes on an flock() of a file beside the
database, and the kernel wakes the next one the moment the lock is released. The database's own
locking stays the rule (BEGIN IMMEDIATE); this only orders the queue in front of it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from types import TracebackType

from sync_server.db.engine import sqlite_file


def lock_path(database_url: str) -> str | None:
    """The lock file for a SQLite file database (None for PostgreSQL and in-memory ones)."""
    database = sqlite_file(database_url)
    return None if database is None else f"{database}-writers"


class WriterLock:
    """A context manager: the in-process mutex, then (for SQLite files) the file lock."""

    def __init__(self, database_url: str) -> None:
        self._mutex = threading.Lock()
        self._path = lock_path(database_url)
        self._fd: int | None = None
        self.idle = threading.Event()
        """Set while no thread of this process writes (checkers wait on it between chunks)."""
        self.idle.set()

    def __enter__(self) -> WriterLock:
        self._mutex.acquire()
        try:
            if self._path is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise
        self.idle.clear()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.idle.set()
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()
