"""Engines for SQLite (WAL, FULL sync, BEGIN IMMEDIATE) and PostgreSQL, and Alembic upgrades."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000
"""How long a SQLite writer waits for another writer's lock before "database is locked"."""
PAGE_CACHE_KIB = 16 * 1024
"""Each SQLite connection's page cache, in KiB (SQLite's default is 2,000).

A push of 500 entries changes a random leaf page of each random-key index per entry (the
id's, the counting index's): some 1,000 pages, twice the default cache, so a push wrote pages
out and read them back, and the next found few of the indexes' pages still cached. With 16 MiB
the push path costs about 5 % less CPU (bench/README.md). SQLITE_HEAP_LIMIT_BYTES bounds what
all of a process's connections hold together.
"""
SQLITE_HEAP_LIMIT_BYTES = 128 * 1024 * 1024
"""SQLite's soft heap limit for the whole server process: above it SQLite reuses page-cache
pages instead of allocating more, so a pool of dozens of connections never holds dozens of
full caches."""
SQLITE_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "wal"),
    ("synchronous", "2"),
    ("busy_timeout", str(BUSY_TIMEOUT_MS)),
    ("foreign_keys", "1"),
    ("cache_size", str(-PAGE_CACHE_KIB)),
    ("soft_heap_limit", str(SQLITE_HEAP_LIMIT_BYTES)),
)
"""Every SQLite connection's settings, as PRAGMA read-backs report them (FULL = 2)."""
IGNORED_PREFIX = "_litestream_"
"""Litestream's tables: Alembic neither creates nor drops them."""
EXPRESSION_INDEXES = frozenset({"ux_entries_counting"})
"""Indexes on expressions: Alembic cannot compare them (each database rewrites the
expression its own way), so autogenerate leaves them alone; tests/sync_server/db checks them."""


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Skip Litestream's bookkeeping tables."""
    return not (type_ == "table" and name is not None and name.startswith(IGNORED_PREFIX))


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Skip Litestream's bookkeeping tables and anything attached to them."""
    table = getattr(obj, "table", None)
    table_name = getattr(table, "name", None) if table is not None else None
    if name is not None and type_ == "table" and name.startswith(IGNORED_PREFIX):
        return False
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False
    return not (table_name is not None and str(table_name).startswith(IGNORED_PREFIX))


def normalise_url(url: str | URL) -> URL:
    """Parse a URL; plain postgresql:// URLs get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite file database; None for PostgreSQL, in-memory and file: URI ones.

    The one test of "is this a SQLite file" (private file mode, writers' lock file,
    checkpoints, Litestream, restore).
    """
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def _create_private_file(database: Path) -> None:
    """Create the SQLite file with mode 0600 before SQLite opens it with the umask's mode."""
    path = database
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)


def _on_sqlite_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    """Switch the driver to autocommit so we control BEGIN, then set the PRAGMAs."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        cursor.execute(f"PRAGMA soft_heap_limit={SQLITE_HEAP_LIMIT_BYTES}")
    finally:
        cursor.close()


READ_ONLY = "fieldkit_read_only"
"""Execution option for a transaction that only reads: a plain BEGIN, so it never waits for
the writers' lock (WAL readers see the last commit). It must not write; everything else takes
BEGIN IMMEDIATE."""
NO_WAIT = "fieldkit_no_wait"
"""Execution option for a write transaction that gives up at once ("database is locked", or a
lock timeout on PostgreSQL) instead of waiting when another writer holds the lock."""
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class ReadOnlyViolation(RuntimeError):
    """A statement that writes ran in a read-only transaction (a programming error)."""


def _on_sqlite_begin(conn: Any) -> None:
    """Take the write lock at BEGIN so two writers never deadlock on lock upgrades."""
    options = conn.get_execution_options()
    if options.get(READ_ONLY, False):
        conn.exec_driver_sql("BEGIN")
    elif options.get(NO_WAIT, False):
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_writes(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """Stop a write in a read-only transaction at once, not only when two writers meet.

    On SQLite such a write would upgrade the plain BEGIN to a write lock and fail with
    "database is locked" whenever another writer committed since the read began: rarely, and
    only under load.
    """
    if conn.get_execution_options().get(READ_ONLY, False) and (
        statement.lstrip()[:7].upper().startswith(_WRITES)
    ):
        raise ReadOnlyViolation(
            f"a read-only transaction may not write: {statement[:60]!r}; request sessions only"
            " read unless the write is wrapped in `with writing(session):`"
            " (sync_server.db.engine)"
        )


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions only read unless `writing()` opts in.

    The server's requests use it: reads (pulls, tallies, lists, health, token checks) never
    queue for the write lock, and only the code that writes takes it, explicitly.
    """
    reader = engine.execution_options(**{READ_ONLY: True})
    event.listen(reader, "before_cursor_execute", _refuse_writes)
    return reader


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """A read-only transaction (plain BEGIN on SQLite) that ends when the block does."""
    session.connection(execution_options={READ_ONLY: True})
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()  # a read commits nothing; loaded rows stay usable (expire_on_commit=False)


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """A write transaction (BEGIN IMMEDIATE on SQLite) committed when the block ends.

    Opts in on a session of a `read_only()` engine (and is the default on any other). An
    exception rolls everything back. The session must have no transaction open yet: options
    only apply when one begins.
    """
    if session.in_transaction():
        raise RuntimeError("writing() needs a session with no transaction open")
    try:
        session.connection(execution_options={READ_ONLY: False})
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


@contextmanager
def writing_if_free(session: Session) -> Iterator[Session]:
    """Like `writing()`, but BEGIN fails at once with OperationalError when another writer
    holds the lock (on PostgreSQL: when a row it needs is locked), instead of queueing.

    For writes that may be skipped (a last-seen time) on paths that must never wait.
    """
    if session.in_transaction():
        raise RuntimeError("writing_if_free() needs a session with no transaction open")
    try:
        connection = session.connection(execution_options={READ_ONLY: False, NO_WAIT: True})
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL lock_timeout = '1ms'")
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for the server database with the settings docs/architecture.md asks for."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file(parsed)
        if database is not None:
            _create_private_file(database)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in this package."""
    config = Config(str(Path(__file__).parent / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_schema(url_or_engine: str | URL | Engine) -> None:
    """Upgrade the database to the newest schema (Alembic); nothing else.

    A server database also needs its epoch and catalogue: `sync_server.services.init.migrate`
    does both. This module imports no service (the db layer sits below them).
    """
    owned = not isinstance(url_or_engine, Engine)
    engine = make_engine(url_or_engine) if not isinstance(url_or_engine, Engine) else url_or_engine
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if owned:
            engine.dispose()
