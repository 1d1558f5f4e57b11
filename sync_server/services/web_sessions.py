"""Server-side sessions of the staff web app: opened at sign-in, checked per page, revocable.

The browser's cookie holds a random 256-bit token; the table holds only its SHA-256, so a copy
of the database opens no session. A session ends when it is revoked (sign-out, password
change or reset), when unused for the idle limit, or at its absolute expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync_server.db.models import User, WebSession

TOUCH_EVERY = timedelta(minutes=1)
"""last_seen_at is written at most this often, so reading pages seldom needs a write."""
KEEP_ENDED = timedelta(days=30)
"""Ended sessions stay this long past their expiry (who was signed in when), then go."""


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lives unused (idle) and at most (absolute)."""

    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the token for the cookie (never stored) and its row."""

    token: str
    row: WebSession


def token_digest(token: str) -> str:
    """The stored form of a session token: SHA-256 hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def open_session(
    session: Session, user: User, limits: SessionLimits, address: str = ""
) -> OpenedSession:
    """A fresh session for a user who just signed in (always a new token: no fixation)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    row = WebSession(
        id_hash=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + limits.absolute,
        revoked_at=None,
        address=address[:64],
    )
    session.add(row)
    session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_ENDED))
    session.flush()
    return OpenedSession(token, row)


def live_session(
    session: Session, token: str, limits: SessionLimits, now: datetime | None = None
) -> tuple[WebSession, User] | None:
    """The live session behind a cookie and its user; None when unknown, over or revoked.

    Reads only: the caller marks it seen with `touch` when `needs_touch` says so.
    """
    if not token or len(token) > 200:
        return None
    now = now or _now()
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id_hash == token_digest(token))
    ).first()
    if found is None:
        return None
    row, user = found[0], found[1]
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + limits.idle <= now:
        return None
    return row, user


def needs_touch(row: WebSession, now: datetime) -> bool:
    """Whether last_seen_at is old enough to be worth a write."""
    return now - row.last_seen_at >= TOUCH_EVERY


def touch(session: Session, id_hash: str, now: datetime) -> None:
    """Mark a session as seen now (keeps it from going idle); the caller commits."""
    session.execute(
        update(WebSession)
        .where(WebSession.id_hash == id_hash)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke(session: Session, token: str) -> None:
    """End the session behind a cookie (sign-out); unknown tokens are ignored."""
    session.execute(
        update(WebSession)
        .where(WebSession.id_hash == token_digest(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=_now())
        .execution_options(synchronize_session=False)
    )


def revoke_user_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of a user (password changed or reset), except the one to keep."""
    statement = update(WebSession).where(
        WebSession.user_id == user_id, WebSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(WebSession.id_hash != token_digest(keep))
    session.execute(
        statement.values(revoked_at=_now()).execution_options(synchronize_session=False)
    )
