"""Users: volunteers get a one-time enrollment code, staff an initial (argon2-hashed) password."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import EnrollmentCode, Team, Unit, User
from sync_server.services.devices import code_hash
from sync_server.services.logins import derive_login, login_base
from sync_server.services.passwords import hash_password, one_time_password
from sync_server.services.units import get_unit

ROLES = ("volunteer", "coordinator", "province", "admin")
# No 0/O, 1/I/L, 5/S or 2/Z: codes are read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 8
_ROLE_LEVEL = {
    "volunteer": wire.UnitLevel.VILLAGE,
    "coordinator": wire.UnitLevel.COMMUNE,
    "province": wire.UnitLevel.PROVINCE,
}
_LEVEL_VI = {"village": "thôn/làng/ấp", "commune": "xã/phường", "province": "tỉnh"}


class UserError(ValueError):
    """A user could not be added; `field` names the bad argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AddedUser:
    """The new user's id and login, and the secret to hand over once: a code or a password."""

    user_id: int
    login: str
    code: str | None = None
    password: str | None = None


def _random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _clean_name(name: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text or len(text) > 200 or any(unicodedata.category(c).startswith("C") for c in text):
        raise UserError("name", "Tên không hợp lệ / Invalid name")
    return text


def team_for_village(session: Session, village: Unit) -> Team:
    """The village's team (one per village), created if it has none yet."""
    team = session.scalars(
        select(Team).where(Team.village_code == village.code).order_by(Team.id)
    ).first()
    if team is None:
        team = Team(village_code=village.code, name=f"Tổ công nghệ số cộng đồng {village.name}")
        session.add(team)
        session.flush()
    return team


def new_enrollment_code(session: Session, user_id: int) -> str:
    """A fresh one-time code for a volunteer (stored only as its hash)."""
    while True:
        code = _random_text(CODE_ALPHABET, CODE_LENGTH)
        if session.get(EnrollmentCode, code_hash(code)) is None:
            break
    session.add(EnrollmentCode(code_hash=code_hash(code), user_id=user_id))
    session.flush()
    return code


def add_user(session: Session, role: str, unit_code: str | None, name: str) -> AddedUser:
    """Add a user of a role to a unit of the matching level; return its one-time secret."""
    role = role.strip().lower()
    if role not in ROLES:
        raise UserError(
            "role", f"Vai trò không hợp lệ {role!r} (chọn: {', '.join(ROLES)}) / Invalid role"
        )
    clean = _clean_name(name)
    unit = get_unit(session, unit_code) if unit_code else None
    level = _ROLE_LEVEL.get(role)
    if level is not None and (unit is None or unit.level != level):
        raise UserError(
            "unit",
            f"Vai trò {role} cần một đơn vị cấp {_LEVEL_VI[level.value]} / "
            f"role {role} needs a {level.value} unit",
        )
    if unit is not None and unit.retired:
        raise UserError("unit", f"Đơn vị {unit.code} đã giải thể / unit {unit.code} is retired")
    team_id = team_for_village(session, unit).id if role == "volunteer" and unit else None
    user = User(
        name=clean,
        role=role,
        unit_code=unit.code if unit else None,
        team_id=team_id,
        password_hash=None,
        login=free_login(session, clean),
    )
    session.add(user)
    session.flush()
    if role == "volunteer":
        return AddedUser(user.id, user.login or "", code=new_enrollment_code(session, user.id))
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    session.flush()
    return AddedUser(user.id, user.login or "", password=password)


def free_login(session: Session, name: str) -> str:
    """A login for a new user: the name without diacritics, numbered if already taken."""
    base = login_base(name)
    taken = set(session.scalars(select(User.login).where(User.login.startswith(base))))
    return derive_login(name, {t for t in taken if t})
