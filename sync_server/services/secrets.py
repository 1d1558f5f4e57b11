"""The server epoch and citizen keys (HMAC under the server key).

A new database gets its epoch, change counter and service catalogue from services/init.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as token_source

from sqlalchemy import text
from sqlalchemy.orm import Session

from sync_server.db.models import ServerMeta

EPOCH_KEY = "epoch"


_META = text('SELECT value FROM server_meta WHERE "key" = :key')
"""Plain SQL: a push reads the epoch under the writers' lock, where an ORM select (with its
statement building and compile-cache lookup) costs several times the query itself."""


def _meta(session: Session, key: str) -> str | None:
    """One ServerMeta value."""
    value: str | None = session.connection().execute(_META, {"key": key}).scalar()
    return value


def ensure_meta(session: Session) -> None:
    """Create the epoch if this database has none yet (the key never lives here: server_key)."""
    if _meta(session, EPOCH_KEY) is None:
        session.add(ServerMeta(key=EPOCH_KEY, value=token_source.token_hex(8)))
    session.flush()


def server_epoch(session: Session) -> str:
    """The epoch devices compare to notice a restore from backup."""
    value = _meta(session, EPOCH_KEY)
    if value is None:
        ensure_meta(session)
        value = _meta(session, EPOCH_KEY)
    assert value is not None
    return value


def rotate_epoch(session: Session) -> str:
    """Give the database a new random epoch and return it (after a restore from backup).

    Devices compare the epoch on every pull and after a refused push: a new one makes them
    restart their cursor and send again every entry they still hold whole (sync
    rule 7, docs/architecture.md), which brings back what the restore lost. The caller commits.
    """
    old = _meta(session, EPOCH_KEY)
    value = token_source.token_hex(8)
    while value == old:  # pragma: no cover - 1 in 2**64
        value = token_source.token_hex(8)
    row = session.get(ServerMeta, EPOCH_KEY)
    if row is None:
        session.add(ServerMeta(key=EPOCH_KEY, value=value))
    else:
        row.value = value
    session.flush()
    return value


def citizen_key(secret: str, id_number: str) -> str:
    """HMAC-SHA256 hex of a normalised identity number under the server key."""
    return hmac.new(secret.encode(), id_number.encode(), hashlib.sha256).hexdigest()
