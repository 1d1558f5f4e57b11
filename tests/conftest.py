"""Fixtures shared by every test package: fresh SQLite files and fresh PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get(
    "FIELDKIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


TEST_KEY_ENV = "SYNC_SERVER_KEY_FILE"


@pytest.fixture(scope="session", autouse=True)
def server_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A server key file for every server the tests start (in-process or as a subprocess).

    The server refuses to run without a key, and must never read the user's own config
    directory here; tests of the key itself point SYNC_SERVER_KEY_FILE elsewhere.
    """
    path = tmp_path_factory.mktemp("server-key") / "secret.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, f"{uuid.uuid4().hex}{uuid.uuid4().hex}\n".encode())
    os.close(fd)
    before = {name: os.environ.get(name) for name in (TEST_KEY_ENV, "SYNC_SERVER_SECRET_KEY")}
    os.environ[TEST_KEY_ENV] = str(path)
    os.environ.pop("SYNC_SERVER_SECRET_KEY", None)
    try:
        yield path
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLAlchemy URL to a new SQLite file in the test's temp dir."""
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3
        ):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL to a brand-new PostgreSQL database, dropped afterwards."""
    import psycopg

    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL is not running")
    name = f"fk_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
    else:
        yield request.getfixturevalue("pg_url")
