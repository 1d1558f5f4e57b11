"""Devices and their bearer tokens: enrollment, authentication, revocation and staff logins.

Tokens are random (`secrets.token_urlsafe(32)`) and stored only as their SHA-256 hex digest, so a
leaked database yields no usable token. Bundles are signed with a key pair the laptop makes: the
server keeps the public half (`Device.public_key`), given at enrollment or registered once later.
A staff login (coordinator, province officer, admin) is a Device row named `login:…` that
expires after `LOGIN_TTL`, so it can be listed and revoked like any laptop.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldkit.domain import new_entry_id, wire
from fieldkit.domain.digits import ascii_int, is_ascii_digits
from sync_server.db.models import Device, EnrollmentCode, Team, Unit, User
from sync_server.services import secrets as server_secrets
from sync_server.services import signing_keys
from sync_server.services.logins import normalise_login, typed_login

LOGIN_PREFIX = "login:"
LOGIN_TTL = timedelta(hours=12)


class AuthError(Exception):
    """A bearer token was refused; `code` is token_missing / token_invalid / token_revoked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EnrollmentError(Exception):
    """An enrollment code was refused; `code` is enroll_code_invalid."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DeviceKeyError(Exception):
    """A signing key was refused; `code` is device_key_invalid / device_key_taken."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DeviceNotFound(LookupError):
    """No device has that id."""


@dataclass(frozen=True)
class LoginResult:
    """A new staff bearer token (shown once) and who it belongs to."""

    token: str
    user_id: int
    user_name: str
    role: str
    unit_code: str | None
    expires_at: datetime


def token_hash(token: str) -> str:
    """The stored form of a bearer token: SHA-256 hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Enrollment codes ignore case, spaces and dashes, as people read them aloud."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    """The stored form of an enrollment code: SHA-256 hex of the normalised code."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_login(device: Device) -> bool:
    """Whether a device row is a staff login session rather than an enrolled laptop."""
    return (device.name or "").startswith(LOGIN_PREFIX)


def team_villages(session: Session, user: User) -> list[wire.VillageInfo]:
    """The villages a volunteer's team works in, with their communes' names."""
    if user.team_id is None:
        return []
    team = session.get(Team, user.team_id)
    if team is None:
        return []
    village = session.get(Unit, team.village_code)
    if village is None:
        return []
    commune_code = village.commune_code or village.parent_code or ""
    commune = session.get(Unit, commune_code) if commune_code else None
    return [
        wire.VillageInfo(
            code=village.code,
            name=village.name,
            commune_code=commune_code,
            commune_name=commune.name if commune else "",
        )
    ]


CODE_REFUSED = (
    "This enrollment code is not valid: it is wrong, already used, expired or withdrawn. "
    "Ask your coordinator for a new one."
)
"""The one answer for every refused code, so an answer never tells a guesser which codes exist."""


def _checked_key(public_key: str) -> str:
    if not signing_keys.is_public_key(public_key):
        raise DeviceKeyError("device_key_invalid", "This is not an Ed25519 public key.")
    return public_key


def enroll(
    session: Session, code: str, device_name: str, public_key: str | None = None
) -> wire.EnrollResponse:
    """Spend a one-time enrollment code on a new device and return its token (shown once).

    `public_key` is the laptop's bundle-signing key (DeviceKeyError if it is not one).
    Unknown, spent, expired and withdrawn codes, and codes of users who are no longer active
    volunteers, are all refused alike (EnrollmentError enroll_code_invalid, CODE_REFUSED).
    """
    if public_key is not None:
        _checked_key(public_key)
    hashed = code_hash(code)
    now = _now()
    user = code_owner(session, code, now)
    if user is None or user.team_id is None:
        raise EnrollmentError("enroll_code_invalid", CODE_REFUSED)
    # Spend the code atomically: of two racing enrollments only one updates the row.
    spent = session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.code_hash == hashed, EnrollmentCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise EnrollmentError("enroll_code_invalid", CODE_REFUSED)
    token = secrets.token_urlsafe(32)
    device = Device(
        id=str(new_entry_id()),
        user_id=user.id,
        token_hash=token_hash(token),
        name=device_name.strip()[:100],
        created_at=now,
        revoked_at=None,
        last_mutation_id=0,
        public_key=public_key,
    )
    session.add(device)
    session.flush()
    return wire.EnrollResponse(
        public_key=public_key,
        device_id=device.id,
        token=token,
        user_id=user.id,
        user_name=user.name,
        team_id=user.team_id,
        villages=team_villages(session, user),
        server_epoch=server_secrets.server_epoch(session),
    )


def code_owner(session: Session, code: str, now: datetime) -> User | None:
    """The active volunteer an unused, unexpired, unrevoked code belongs to; None otherwise."""
    row = session.get(EnrollmentCode, code_hash(code))
    if row is None or row.used_at is not None or row.revoked_at is not None:
        return None
    if not _before(now, row.expires_at):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.role != "volunteer" or user.team_id is None:
        return None
    return None if user.deactivated_at is not None else user


def _before(now: datetime, deadline: datetime | None) -> bool:
    """Whether a deadline is still ahead (a missing one has passed)."""
    return deadline is not None and now < _aware(deadline)


def authenticate(session: Session, token: str) -> Device:
    """The live device (or staff login) a bearer token belongs to; AuthError otherwise."""
    if not token:
        raise AuthError("token_missing", "Send a bearer token in the Authorization header.")
    # The user comes in the same query: every caller needs it next (session.get then finds it).
    found = session.execute(
        select(Device, User)
        .join(User, User.id == Device.user_id)
        .where(Device.token_hash == token_hash(token))
    ).first()
    if found is None:
        raise AuthError("token_invalid", "This token is not known to the server; enroll again.")
    device, user = found
    if device.revoked_at is not None:
        raise AuthError(
            "token_revoked", "This device was revoked by a coordinator; ask for a new code."
        )
    if user.deactivated_at is not None:
        raise AuthError("token_revoked", "This user was deactivated by an administrator.")
    if is_login(device) and _aware(device.created_at) + LOGIN_TTL < _now():
        raise AuthError("token_revoked", "This login has expired; log in again.")
    return device


def register_key(session: Session, device: Device, public_key: str) -> Device:
    """Store a laptop's bundle-signing public key, once; the same key again is a no-op.

    For laptops enrolled before bundles were signed by the laptop. A different key for a
    device that has one is refused: the key is what proves a bundle came from that laptop.
    """
    _checked_key(public_key)
    if device.public_key is None:
        device.public_key = public_key
    elif device.public_key != public_key:
        raise DeviceKeyError(
            "device_key_taken",
            "This laptop already registered a different signing key; enroll it again.",
        )
    return device


def revoke(session: Session, device_id: str) -> Device:
    """Revoke a device (or login) so its token stops working at once; idempotent."""
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(device_id)
    if device.revoked_at is None:
        device.revoked_at = _now()
    return device


def note_sync(session: Session, device_id: str, at: datetime | None = None) -> None:
    """Record that a laptop synced (a pull; pushes record it as they ingest)."""
    session.execute(update(Device).where(Device.id == device_id).values(last_sync_at=at or _now()))


def find_login_user(session: Session, login: str) -> User | None:
    """A user by numeric id, login name or exact name (None when unknown or ambiguous).

    ASCII digits are a user id; otherwise the login name (lower case) is tried, then the
    full name as typed (NFC, surrounding and repeated spaces ignored).
    """
    login = typed_login(login)
    if not login or len(login) > 200:
        return None
    if is_ascii_digits(login):
        user_id = ascii_int(login, max_digits=9)
        return session.get(User, user_id) if user_id is not None else None
    by_login = session.scalars(select(User).where(User.login == normalise_login(login))).first()
    if by_login is not None:
        return by_login
    users = list(session.scalars(select(User).where(User.name == login).limit(2)))
    return users[0] if len(users) == 1 else None


def open_login(session: Session, user: User, client: str = "") -> LoginResult:
    """A new staff login session for a user whose password was just checked."""
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(
        Device(
            id=str(new_entry_id()),
            user_id=user.id,
            token_hash=token_hash(token),
            name=f"{LOGIN_PREFIX}{client.strip()[:80]}",
            created_at=now,
            revoked_at=None,
            last_mutation_id=0,
        )
    )
    session.flush()
    return LoginResult(
        token=token,
        user_id=user.id,
        user_name=user.name,
        role=user.role,
        unit_code=user.unit_code,
        expires_at=now + LOGIN_TTL,
    )
