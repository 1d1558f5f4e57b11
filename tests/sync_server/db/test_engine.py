"""The SQLite engine's PRAGMAs, file mode and BEGIN IMMEDIATE, on real files."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from sync_server.db.engine import SQLITE_PRAGMAS, make_engine, normalise_url, sqlite_file


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
