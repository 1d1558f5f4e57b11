"""The server key behind citizen keys: a file of its own (mode 0600) or SYNC_SERVER_SECRET_KEY.

An identity number has about a thousand possible values once its last digits, the birth year
and the sex are known, so a keyed hash protects it only while the key stays away from the
data: the key is never written to the database (nor, therefore, to its Litestream replica).
`sync-server init` makes the key file; a database made before the key left it still holds the
key in `server_meta`, and `adopt_stored_key` moves it to the key file (the same value, so every
stored citizen key stays valid) and deletes the row.
"""

from __future__ import annotations

import os
import secrets as token_source
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from sync_server.db.models import ServerMeta
from sync_server.settings import ServerSettings, get_settings

KEY_ENV = "SYNC_SERVER_SECRET_KEY"
KEY_FILE_ENV = "SYNC_SERVER_KEY_FILE"
STORED_KEY = "secret"
"""The server_meta row where databases made before the key file kept the key."""

HOW_TO_MAKE_ONE = (
    "chạy `sync-server init` để tạo tệp khóa, hoặc đặt SYNC_SERVER_SECRET_KEY / "
    "run `sync-server init` to create the key file, or set SYNC_SERVER_SECRET_KEY"
)


class KeyProblem(Exception):
    """The server key is missing, unreadable, or disagrees with the database's: a clear refusal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _env_key(settings: ServerSettings) -> str | None:
    return settings.secret_key or None


def _read_key_file(path: Path) -> str | None:
    """The key in `path`; None if there is no such file. Refuses a file others can read."""
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(
            f"Không đọc được tệp khóa / Cannot read the key file {path}: {exc}"
        ) from None
    if not stat.S_ISREG(mode):
        raise KeyProblem(f"Tệp khóa không phải tệp thường / The key file is not a file: {path}")
    if mode & 0o077:
        raise KeyProblem(
            f"Tệp khóa {path} để người khác đọc được: chạy `chmod 600 {path}` / "
            f"the key file {path} is readable by others: run `chmod 600 {path}`"
        )
    if not value:
        raise KeyProblem(f"Tệp khóa rỗng / The key file is empty: {path}")
    return value


def load_key(settings: ServerSettings) -> str:
    """The key: SYNC_SERVER_SECRET_KEY if set, else the key file; KeyProblem if neither."""
    value = _env_key(settings) or _read_key_file(settings.key_file)
    if value is None:
        raise KeyProblem(
            f"Chưa có khóa máy chủ (tệp {settings.key_file}) / "
            f"No server key (file {settings.key_file}): {HOW_TO_MAKE_ONE}"
        )
    return value


def configured_key() -> str:
    """load_key for this process's settings (the SYNC_SERVER_* environment)."""
    return load_key(get_settings())


def _write_key_file(path: Path, value: str) -> None:
    """Write a new key file with mode 0600; never replaces an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, f"{value}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class KeyState:
    """Where the key comes from, and whether this run made or moved it."""

    source: str
    """`env` or `file`."""
    path: Path | None
    created: bool = False
    moved_from_database: bool = False


def ensure_key(settings: ServerSettings) -> KeyState:
    """Make the key file if there is no key yet (init); an existing key is never replaced."""
    if _env_key(settings):
        return KeyState("env", None)
    if _read_key_file(settings.key_file) is not None:
        return KeyState("file", settings.key_file)
    try:
        _write_key_file(settings.key_file, token_source.token_hex(32))
    except FileExistsError:  # made meanwhile by another init: keep that one
        return KeyState("file", settings.key_file)
    except OSError as exc:
        raise KeyProblem(
            f"Không tạo được tệp khóa / Cannot create the key file {settings.key_file}: "
            f"{exc.strerror or exc}"
        ) from None
    return KeyState("file", settings.key_file, created=True)


_STORED = text('SELECT value FROM server_meta WHERE "key" = :key')


def adopt_stored_key(session: Session, settings: ServerSettings) -> KeyState | None:
    """Move a key the database still holds out of it; None if it holds none. The caller commits.

    With no key configured the stored one becomes the key file; a configured key equal to it
    just lets the row go; a different one is refused (the stored citizen keys were made with
    one of the two, and guessing would split every citizen in two).
    """
    stored = session.connection().execute(_STORED, {"key": STORED_KEY}).scalar()
    if stored is None:
        return None
    env = _env_key(settings)
    configured = env or _read_key_file(settings.key_file)
    if configured is None:
        try:
            _write_key_file(settings.key_file, stored)
        except OSError as exc:
            raise KeyProblem(
                f"Không tạo được tệp khóa / Cannot create the key file {settings.key_file}: "
                f"{exc.strerror or exc}"
            ) from None
        state = KeyState("file", settings.key_file, created=True, moved_from_database=True)
    elif configured != stored:
        where = KEY_ENV if env else str(settings.key_file)
        raise KeyProblem(
            f"Cơ sở dữ liệu giữ một khóa khác với khóa ở {where}: mã công dân đã lưu được tạo "
            f"bằng một trong hai. Dùng khóa của cơ sở dữ liệu (bỏ {where}, rồi chạy lại "
            f"`sync-server init` để chuyển nó ra tệp) / The database holds a key different "
            f"from the one in {where}: its citizen keys were made with one of them. To keep "
            f"the database's key, remove {where} and run `sync-server init` again to move it "
            f"to the key file"
        )
    else:
        path = None if env else settings.key_file
        state = KeyState("env" if env else "file", path, moved_from_database=True)
    # Zero the deleted row's bytes in the file instead of leaving them in a free page.
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    session.execute(delete(ServerMeta).where(ServerMeta.key == STORED_KEY))
    if sqlite:
        session.connection().exec_driver_sql("PRAGMA secure_delete=OFF")
    return state
