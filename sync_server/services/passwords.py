"""Staff passwords: hashing (argon2), one-time passwords, changing one's own and resets by staff."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from sync_server.db.models import Device, Unit, User, utcnow
from sync_server.services import access, web_sessions
from sync_server.services.devices import LOGIN_PREFIX

ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""No 0/o, 1/l/i: one-time passwords are read off a screen or paper and typed."""
ONE_TIME_LENGTH = 12
MIN_LENGTH = 10
MAX_LENGTH = 200
_hasher = PasswordHasher()


class PasswordError(ValueError):
    """A password change was refused; `code` is stable, `message` says why in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id, the library's defaults)."""
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether a password matches its stored hash (False when there is none)."""
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """A random password to hand over once; the person must choose their own next."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def check_new_password(user: User, new: str) -> None:
    """A new password is long enough, not the login or name, and has no control characters."""
    if len(new) < MIN_LENGTH:
        raise PasswordError("password_short", f"Choose at least {MIN_LENGTH} characters.")
    if len(new) > MAX_LENGTH:
        raise PasswordError("password_long", f"Choose at most {MAX_LENGTH} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in new):
        raise PasswordError("password_invalid", "A password cannot hold control characters.")
    if new.strip().lower() in {(user.login or "").lower(), user.name.lower()}:
        raise PasswordError("password_is_name", "Choose something other than your name.")


def change_own_password(
    session: Session, user: User, current: str, new: str, keep_session: str | None = None
) -> None:
    """Replace one's own password after checking the current one; other sessions end."""
    if not password_matches(user.password_hash, current):
        raise PasswordError("password_wrong", "The current password is not right.")
    if new == current:
        raise PasswordError("password_same", "Choose a password different from the current one.")
    check_new_password(user, new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    web_sessions.revoke_user_sessions(session, user.id, keep=keep_session)
    revoke_api_logins(session, user.id)
    session.flush()


def reset_password(session: Session, actor: User, target: User) -> str:
    """Give someone a one-time password (returned once) and end their sessions.

    Admins reset anyone's; a coordinator or province officer the staff and volunteers under
    their unit. The person must choose a new password at their next sign-in.
    """
    unit = session.get(Unit, target.unit_code) if target.unit_code else None
    if not access.manageable_user(actor, target, unit):
        raise access.AccessError(403, "forbidden", "You may not reset this person's password.")
    return issue_one_time_password(session, target)


def issue_one_time_password(session: Session, target: User) -> str:
    """Replace a staff member's password with a one-time one (returned once); sessions end.

    For `reset_password` once the actor is checked, and for the server's operator
    (`sync-server user reset-password`), who may reset anyone's, admins' included.
    """
    if not access.is_staff(target):
        raise PasswordError(
            "not_staff", "Volunteers have no password: hand out an enrollment code."
        )
    password = one_time_password()
    target.password_hash = hash_password(password)
    target.must_change_password = True
    web_sessions.revoke_user_sessions(session, target.id)
    revoke_api_logins(session, target.id)
    session.flush()
    return password


def revoke_api_logins(session: Session, user_id: int) -> None:
    """End a user's API login tokens (POST /api/v1/login) when their password changes."""
    session.execute(
        update(Device)
        .where(
            Device.user_id == user_id,
            Device.name.startswith(LOGIN_PREFIX),
            Device.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
