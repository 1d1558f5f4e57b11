"""The server key on the command line: `init` makes it, commands that need it refuse without it,
and `init` moves the key an older database still holds out of it, unchanged."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from sync_server.api.app import create_app
from sync_server.db.models import ServerMeta
from sync_server.services.init import migrate
from sync_server.services.server_key import KeyProblem
from sync_server.settings import get_settings

CliRunner = Callable[..., Any]


@pytest.fixture
def key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key file path with nothing there yet (and no key in the environment)."""
    path = tmp_path / "config" / "secret.key"
    monkeypatch.setenv("SYNC_SERVER_KEY_FILE", str(path))
    monkeypatch.delenv("SYNC_SERVER_SECRET_KEY", raising=False)
    return path


def test_init_makes_a_private_key_file_once(
    cli: CliRunner, sqlite_url: str, key_path: Path
) -> None:
    first = cli("--db", sqlite_url, "init")
    assert first.code == 0, first.err
    assert str(key_path) in first.out and "0600" in first.out
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key = key_path.read_text()
    second = cli("--db", sqlite_url, "init")
    assert second.code == 0, second.err
    assert key_path.read_text() == key  # never overwritten
    engine = create_engine(sqlite_url)
    with Session(engine) as session:
        assert set(session.scalars(select(ServerMeta.key))) == {"epoch"}
    engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--port", "0"),
        ("serve", "--port", "0", "--replicate", "REPLICA"),
        ("seed", "--province", "12", "--demo-entries", "5"),
        ("import-bundle", "BUNDLE"),
    ],
)
def test_commands_that_need_the_key_refuse_without_it(
    cli: CliRunner, sqlite_url: str, key_path: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    migrate(sqlite_url)  # an existing database: only the key is missing
    bundle = tmp_path / "laptop.bundle"
    bundle.write_bytes(b"not read: the key is missing first")
    argv = [a.replace("REPLICA", str(tmp_path / "replica")).replace("BUNDLE", str(bundle))
            for a in args]  # fmt: skip
    result = cli("--db", sqlite_url, *argv)
    assert result.code == 2
    assert "sync-server init" in result.err and "SYNC_SERVER_SECRET_KEY" in result.err
    assert "Traceback" not in result.err
    assert not key_path.exists()


def test_the_app_refuses_to_start_without_a_key(sqlite_url: str, key_path: Path) -> None:
    migrate(sqlite_url)
    with pytest.raises(KeyProblem, match="sync-server init"):
        create_app(get_settings(database_url=sqlite_url))


def test_init_moves_an_older_databases_key_out_unchanged(
    cli: CliRunner, seeded_url: str, server_key_file: Path, key_path: Path
) -> None:
    # A database from before the key file: its key (the one every stored citizen key was
    # made with) sits in server_meta.
    old_key = server_key_file.read_text().strip()
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        session.add(ServerMeta(key="secret", value=old_key))
        session.commit()
    result = cli("--db", seeded_url, "init")
    assert result.code == 0, result.err
    assert str(key_path) in result.err  # says where the key went
    assert key_path.read_text().strip() == old_key
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    with Session(engine) as session:
        assert session.get(ServerMeta, "secret") is None
    engine.dispose()
    assert cli("--db", seeded_url, "recount", "--check").code == 0


def test_init_refuses_a_stored_key_that_differs_from_the_key_file(
    cli: CliRunner, sqlite_url: str, key_path: Path
) -> None:
    assert cli("--db", sqlite_url, "init").code == 0
    key = key_path.read_text()
    engine = create_engine(sqlite_url)
    with Session(engine) as session:
        session.add(ServerMeta(key="secret", value="some-other-key"))
        session.commit()
    result = cli("--db", sqlite_url, "init")
    assert result.code == 2
    assert "different" in result.err and str(key_path) in result.err
    assert key_path.read_text() == key
    with Session(engine) as session:
        row = session.get(ServerMeta, "secret")
        assert row is not None and row.value == "some-other-key"  # nothing lost
    engine.dispose()
