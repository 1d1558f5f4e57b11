"""The SQLite engine's PRAGMAs, file mode and BEGIN IMMEDIATE, on real files."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sync_server.db.engine import (
    BUSY_TIMEOUT_MS,
    SQLITE_PRAGMAS,
    make_engine,
    make_sessionmaker,
    normalise_url,
    read_only,
    sqlite_file,
    writing,
    writing_if_free,
)


def test_every_pooled_connection_has_the_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}", pool_size=3, max_overflow=0)
    try:
        connections = [engine.connect() for _ in range(3)]
        for conn in connections:
            for name, expected in SQLITE_PRAGMAS:
                value = conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                assert str(value).lower() == expected, name
            conn.rollback()  # release the write lock BEGIN IMMEDIATE took
        for conn in connections:
            conn.close()
    finally:
        engine.dispose()


def test_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "b.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_begin_takes_the_write_lock_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT count(*) FROM t")).scalar()  # only a read so far
            probe = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    probe.execute("BEGIN IMMEDIATE")
                holder.rollback()
                probe.execute("BEGIN IMMEDIATE")  # free again once the holder ends
                probe.execute("ROLLBACK")
            finally:
                probe.close()
    finally:
        engine.dispose()


def test_postgres_urls_get_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x").drivername == "sqlite"


def test_only_a_plain_sqlite_path_counts_as_a_sqlite_file(tmp_path: Path) -> None:
    assert sqlite_file(f"sqlite:///{tmp_path}/server.sqlite3") == tmp_path / "server.sqlite3"
    for url in (
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:shared?mode=memory&cache=shared&uri=true",
        "postgresql+psycopg://postgres@127.0.0.1/test",
    ):
        assert sqlite_file(url) is None, url


def test_a_write_that_may_be_skipped_gives_up_at_once_when_another_writer_holds_the_lock(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY, seen INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1, 0)"))
        bump = text("UPDATE t SET seen = seen + 1 WHERE x = 1")
        factory = make_sessionmaker(read_only(engine))
        with engine.connect() as other, factory() as session:
            other.execute(bump)  # holds the write lock (SQLite) or the row's lock (PostgreSQL)
            started = time.monotonic()
            with pytest.raises(OperationalError), writing_if_free(session):
                session.execute(bump)
            waited = time.monotonic() - started
            assert waited < BUSY_TIMEOUT_MS / 1000 / 2, f"waited {waited:.1f} s for the lock"
            other.commit()
            with writing_if_free(session):
                session.execute(bump)
            if engine.dialect.name == "sqlite":  # the usual wait is back for every other write
                timeout = session.execute(text("PRAGMA busy_timeout")).scalar()
                assert timeout == BUSY_TIMEOUT_MS
                session.rollback()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT seen FROM t")).scalar() == 2
    finally:
        engine.dispose()


def test_a_write_whose_begin_times_out_leaves_the_session_usable(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        factory = make_sessionmaker(read_only(engine))
        with engine.connect() as other, factory() as session:
            other.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock
            with pytest.raises(OperationalError), writing(session):
                pass  # BEGIN IMMEDIATE gives up after the busy timeout
            other.commit()
            with writing(session):  # the failed BEGIN left no transaction behind
                session.execute(text("INSERT INTO t VALUES (2)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        engine.dispose()
