"""Who may reach the server: enrolled laptops, open enrollment codes, deactivating a user.

What `sync-server device list`, `code list|revoke` and `user deactivate|unlock` show and do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from sync_server.db.models import Device, EnrollmentCode, Entry, SignInAttempts, Team, User
from sync_server.services.devices import LOGIN_PREFIX, code_hash
from sync_server.services.sign_in import account_key

CODE_ID_LENGTH = 10
"""Hex digits of a code's hash shown as its id (the code itself is never stored)."""


class AccountError(LookupError):
    """No such user, or no such open code; `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DeviceInfo:
    """One enrolled laptop, its volunteer, and when its entries last arrived."""

    device_id: str
    name: str
    user_id: int
    user_name: str
    village_code: str | None
    enrolled_at: datetime
    last_entry_at: datetime | None
    last_mutation_id: int
    revoked: bool
    revoked_at: datetime | None


@dataclass(frozen=True)
class OpenCode:
    """An enrollment code nobody has used yet, that has neither expired nor been revoked."""

    code_id: str
    user_id: int
    user_name: str
    village_code: str | None
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Deactivated:
    """What deactivating a user stopped."""

    user_id: int
    user_name: str
    devices_revoked: int
    codes_revoked: int


def _now() -> datetime:
    return datetime.now(UTC)


def list_devices(session: Session, include_revoked: bool = True) -> list[DeviceInfo]:
    """Every enrolled laptop (staff logins are not laptops), newest first."""
    last_entry = (
        select(Entry.device_id, func.max(Entry.received_at).label("at"))
        .group_by(Entry.device_id)
        .subquery()
    )
    query = (
        select(Device, User, Team.village_code, last_entry.c.at)
        .join(User, User.id == Device.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(last_entry, last_entry.c.device_id == Device.id)
        .where(Device.name.not_like(f"{LOGIN_PREFIX}%"))
        .order_by(Device.created_at.desc(), Device.id)
    )
    if not include_revoked:
        query = query.where(Device.revoked_at.is_(None))
    return [
        DeviceInfo(
            device_id=device.id,
            name=device.name,
            user_id=user.id,
            user_name=user.name,
            village_code=village,
            enrolled_at=device.created_at,
            last_entry_at=_aware(last) if last is not None else None,
            last_mutation_id=device.last_mutation_id,
            revoked=device.revoked_at is not None,
            revoked_at=device.revoked_at,
        )
        for device, user, village, last in session.execute(query)
    ]


def _aware(moment: datetime | str) -> datetime:
    """MAX() over a SQLite column comes back as text; PostgreSQL gives a datetime."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _open(now: datetime) -> list[ColumnElement[bool]]:
    return [
        EnrollmentCode.used_at.is_(None),
        EnrollmentCode.revoked_at.is_(None),
        EnrollmentCode.expires_at > now,
    ]


def _open_codes(session: Session, *where: ColumnElement[bool]) -> list[OpenCode]:
    rows = session.execute(
        select(EnrollmentCode, User, Team.village_code)
        .join(User, User.id == EnrollmentCode.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(*_open(_now()), *where)
        .order_by(EnrollmentCode.created_at, EnrollmentCode.code_hash)
    )
    return [
        OpenCode(
            code_id=code.code_hash[:CODE_ID_LENGTH],
            user_id=user.id,
            user_name=user.name,
            village_code=village,
            created_at=code.created_at,
            expires_at=code.expires_at or code.created_at,
        )
        for code, user, village in rows
    ]


def list_open_codes(session: Session) -> list[OpenCode]:
    """Codes that would still enroll a laptop, oldest first."""
    return _open_codes(session)


def revoke_code(session: Session, code_or_id: str) -> OpenCode:
    """Withdraw one open code, named by its listed id (or a longer prefix) or the code itself."""
    text = code_or_id.strip()
    prefix = text.lower()
    named = EnrollmentCode.code_hash == code_hash(text)
    if len(prefix) >= 6 and all(c in "0123456789abcdef" for c in prefix):
        named = named | EnrollmentCode.code_hash.startswith(prefix, autoescape=True)
    found = _open_codes(session, named)
    if len(found) != 1:
        raise AccountError(
            f"Không có đúng một mã mở khớp {text!r} (xem `sync-server code list`) / "
            f"no single open code matches {text!r}"
        )
    session.execute(
        update(EnrollmentCode)
        .where(named, *_open(_now()))
        .values(revoked_at=_now())
        .execution_options(synchronize_session=False)
    )
    return found[0]


def deactivate_user(session: Session, user_id: int) -> Deactivated:
    """Stop a user: no sign-in, no enrollment, every laptop and login revoked; idempotent."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"Không có người dùng {user_id} / no user {user_id}")
    now = _now()
    if user.deactivated_at is None:
        user.deactivated_at = now
    devices = session.execute(
        update(Device)
        .where(Device.user_id == user_id, Device.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    codes = session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.user_id == user_id, *_open(now))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return Deactivated(
        user_id=user.id,
        user_name=user.name,
        devices_revoked=devices.rowcount,  # type: ignore[attr-defined]
        codes_revoked=codes.rowcount,  # type: ignore[attr-defined]
    )


def unlock_user(session: Session, user_id: int) -> bool:
    """Lift a user's sign-in lock and forget their failed attempts; False if there were none."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"Không có người dùng {user_id} / no user {user_id}")
    cleared = session.execute(
        delete(SignInAttempts).where(SignInAttempts.key == account_key("", user))
    )
    return bool(cleared.rowcount)  # type: ignore[attr-defined]
