"""The laptop's SQLite engine: WAL, synchronous=FULL, BEGIN IMMEDIATE, file mode 0600."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)


def create_private_file(path: Path) -> None:
    """Create the database file (and its directory) readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Set the PRAGMAs in autocommit mode and stop pysqlite from issuing its own BEGIN."""
    assert isinstance(dbapi_connection, sqlite3.Connection)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_begin(connection: Connection) -> None:
    """Take the write lock up front so two writers never deadlock on an upgrade."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _on_begin_read(connection: Connection) -> None:
    """A read snapshot that never waits for, nor blocks, a writer (WAL)."""
    connection.exec_driver_sql("BEGIN")


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    """An engine on a private SQLite file with the PRAGMAs of docs/architecture.md.

    The writing engine starts every transaction with BEGIN IMMEDIATE; a read-only engine
    (for lists, counts and lookups) starts plain snapshots so reading never takes the lock.
    """
    if not path.exists():
        create_private_file(path)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 5.0},
        pool_pre_ping=False,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin_read if read_only else _on_begin)
    return engine
