"""Signing in: every password check and every enrollment code goes through here, with limits.

`check_password` (staff passwords: the API's POST /login through `sign_in`, and the web app's
sign-in form) and `enroll` (a laptop's one-time code) both take the client's address. They
refuse at once, without checking anything, while the address or the account is locked;
otherwise they count each failure:

- an account (a user, or a login text that matches no user: both lock alike, so a lockout says
  nothing about who exists) is locked after `lock_after` failures in a row, for `lock_seconds`,
  doubling with each further failure up to `lock_max_seconds`; a correct password clears it,
  but is refused like any other while the lock lasts;
- an address may fail `address_failures` times per `address_window_seconds`.

The counters live in the database (`sign_in_attempts`), so they hold across restarts and
across the processes of `serve --workers N`. Unlike other services these functions end their
own transactions, because that is the point: the attempt is judged in a read-only transaction,
argon2 (~160 ms) runs outside any transaction, and the outcome is written in a short one. A
locked caller writes nothing, so a flood of guesses costs at most `address_failures` short
writes per address and window, never the writers' lock held across a password check.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.engine import reading, writing
from sync_server.db.models import SignInAttempts, User
from sync_server.services import devices, passwords
from sync_server.services.access import STAFF_ROLES
from sync_server.services.logins import typed_login
from sync_server.services.tally import dialect_insert
from sync_server.settings import ServerSettings

ACCOUNT_MEMORY = timedelta(days=1)
"""A run of failed passwords is forgotten this long after its last failure."""


@dataclass(frozen=True)
class Limits:
    """How many failures an account and an address may have, and for how long they lock."""

    lock_after: int = 5
    lock_seconds: int = 60
    lock_max_seconds: int = 3600
    address_failures: int = 20
    address_window_seconds: int = 600

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> Limits:
        """The limits a server was configured with (SYNC_SERVER_LOCKOUT_*, …_ADDRESS_*)."""
        return cls(
            lock_after=settings.lockout_after,
            lock_seconds=settings.lockout_seconds,
            lock_max_seconds=settings.lockout_max_seconds,
            address_failures=settings.address_failures,
            address_window_seconds=settings.address_window_seconds,
        )


class Throttled(Exception):
    """Too many failures: answer 429 with Retry-After `retry_after` seconds; nothing was checked."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def address_key(client_address: str) -> str:
    """The counter of one client address."""
    return f"address:{client_address.strip()[:100] or 'unknown'}"


def account_key(login: str, user: User | None) -> str:
    """The counter of the account a login names, whether or not it exists."""
    if user is not None:
        return f"account:{user.id}"
    typed = typed_login(login).casefold().encode()
    return f"account:?{hashlib.sha256(typed).hexdigest()[:40]}"


def _wait_seconds(row: SignInAttempts | None, now: datetime) -> int:
    """Whole seconds until a counter's lock ends (0 when it is not locked)."""
    if row is None or row.locked_until is None:
        return 0
    left = (_aware(row.locked_until) - now).total_seconds()
    return math.ceil(left) if left > 0 else 0


def refuse_if_locked(session: Session, address: str, account: str | None, now: datetime) -> None:
    """Raise Throttled while the address's or the account's counter is locked (reads only)."""
    keys = [address] if account is None else [address, account]
    rows = {
        row.key: row
        for row in session.scalars(select(SignInAttempts).where(SignInAttempts.key.in_(keys)))
    }
    wait = _wait_seconds(rows.get(address), now)
    if wait:
        raise Throttled(
            "too_many_attempts",
            f"Too many failed attempts from this address; try again in {_minutes(wait)}.",
            wait,
        )
    wait = _wait_seconds(rows.get(account or ""), now)
    if wait:
        raise Throttled(
            "account_locked",
            f"Too many wrong passwords for this account; it is locked for {_minutes(wait)}.",
            wait,
        )


def _minutes(seconds: int) -> str:
    return f"{math.ceil(seconds / 60)} min"


def _counter(session: Session, key: str, now: datetime) -> SignInAttempts:
    """The counter row, created if missing and locked against concurrent writers."""
    table = SignInAttempts.__table__
    session.execute(
        dialect_insert(session, table)
        .values(key=key, failures=0, first_failed_at=now, last_failed_at=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.scalars(
        select(SignInAttempts)
        .where(SignInAttempts.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def record_failure(
    session: Session, address: str, account: str | None, limits: Limits, now: datetime
) -> None:
    """Count one failure against the address (and the account); the caller commits."""
    row = _counter(session, address, now)
    window = timedelta(seconds=limits.address_window_seconds)
    if now >= _aware(row.first_failed_at) + window:
        row.failures, row.first_failed_at, row.locked_until = 0, now, None
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= limits.address_failures:
        row.locked_until = _aware(row.first_failed_at) + window
    if account is not None:
        row = _counter(session, account, now)
        if now >= _aware(row.last_failed_at) + ACCOUNT_MEMORY:
            row.failures, row.first_failed_at = 0, now
        row.failures += 1
        row.last_failed_at = now
        beyond = row.failures - limits.lock_after
        if beyond >= 0:
            seconds = min(limits.lock_seconds * 2 ** min(beyond, 30), limits.lock_max_seconds)
            row.locked_until = now + timedelta(seconds=seconds)
    # Forget counters nobody has failed on for a long time (the table stays small).
    stale = now - max(window, ACCOUNT_MEMORY)
    session.execute(
        delete(SignInAttempts).where(
            SignInAttempts.last_failed_at < stale,
            or_(SignInAttempts.locked_until.is_(None), SignInAttempts.locked_until < now),
        )
    )


def check_password(
    session: Session,
    login: str,
    password: str,
    client_address: str,
    *,
    limits: Limits | None = None,
) -> User:
    """The one password check, within the limits: the staff user whose password this is.

    `login` is a user id, login name or exact name. Raises Throttled (locked: nothing was
    checked) or devices.AuthError (`login_failed`: wrong user or password, or not a staff user;
    `user_deactivated`). Commits what it writes; the session is idle when it returns, and
    the caller opens whatever session it hands out (an API token, a web session) next.
    """
    limits = limits or Limits()
    now = _now()
    address = address_key(client_address)
    with reading(session):
        user = devices.find_login_user(session, login)
        account = account_key(login, user)
        refuse_if_locked(session, address, account, now)
        # Read now: a session that expires on commit would reload them in a transaction.
        stored_hash = user.password_hash if user is not None else None
        user_id, role = (user.id, user.role) if user is not None else (None, "")
    if not passwords.password_matches(stored_hash, password):
        with writing(session):
            record_failure(session, address, account, limits, now)
        raise devices.AuthError("login_failed", "Wrong user or password.")
    assert user_id is not None  # a password matched, so the user exists
    if role not in STAFF_ROLES:
        raise devices.AuthError(
            "login_failed", "Volunteers sign in by enrolling a laptop, not here."
        )
    with writing(session):
        current = session.get(User, user_id, populate_existing=True)
        if current is None or current.deactivated_at is not None:
            raise devices.AuthError("user_deactivated", "This account was deactivated.")
        session.execute(delete(SignInAttempts).where(SignInAttempts.key == account))
    return current


def sign_in(
    session: Session,
    login: str,
    password: str,
    client_address: str,
    *,
    user_agent: str = "",
    limits: Limits | None = None,
) -> devices.LoginResult:
    """POST /login: check_password, then a new login token (committed) for a working day."""
    user = check_password(session, login, password, client_address, limits=limits)
    with writing(session):
        return devices.open_login(session, user, user_agent)


def enroll(
    session: Session,
    code: str,
    device_name: str,
    client_address: str,
    *,
    public_key: str | None = None,
    limits: Limits | None = None,
) -> wire.EnrollResponse:
    """Spend an enrollment code within the address's limit; every refused code counts.

    `public_key`: the laptop's bundle-signing key (devices.DeviceKeyError if it is not one).

    Raises Throttled or devices.EnrollmentError; commits what it writes.
    """
    limits = limits or Limits()
    now = _now()
    address = address_key(client_address)
    with reading(session):
        refuse_if_locked(session, address, None, now)
        usable = devices.code_owner(session, code, now) is not None
    try:
        if not usable:  # refused without taking the write lock for the look-up
            raise devices.EnrollmentError("enroll_code_invalid", devices.CODE_REFUSED)
        with writing(session):
            return devices.enroll(session, code, device_name, public_key)
    except devices.EnrollmentError:
        with writing(session):
            record_failure(session, address, None, limits, now)
        raise
