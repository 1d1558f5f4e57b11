"""A commune's volunteers: who they are, what they recorded, their enrollment codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from fieldkit.domain.phone import normalise_phone
from fieldkit.domain.problems import DomainError
from sync_server.db.models import EnrollmentCode, Entry, Team, Unit, User
from sync_server.services.users import AddedUser, UserError, add_user, new_enrollment_code


class VolunteerError(ValueError):
    """A volunteer change was refused; `field` names the bad input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class VolunteerRow:
    """A volunteer of a village with their counts for one period."""

    user_id: int
    name: str
    phone: str | None
    youth_union: bool
    active: bool
    village_code: str
    entries: int = 0
    counted: int = 0
    waiting: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class PendingCode:
    """An enrollment code handed out and not used yet (only its hash is stored)."""

    code_hash: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """A short reference to name the code in a form (never the code itself)."""
        return self.code_hash[:12]


def volunteers_in(session: Session, unit: Unit, period: str | None) -> list[VolunteerRow]:
    """Volunteers of a commune's villages (or one village), with their entries in the period."""
    commune = unit.code if unit.level == "commune" else (unit.commune_code or unit.parent_code)
    members = (
        select(User, Team.village_code)
        .join(Team, Team.id == User.team_id)
        .join(Unit, Unit.code == Team.village_code)
        .where(User.role == "volunteer")
        .order_by(Team.village_code, User.name, User.id)
    )
    if unit.level == "village":
        members = members.where(Team.village_code == unit.code)
    else:
        members = members.where(Unit.commune_code == unit.code)
    counts_query = select(
        Entry.user_id,
        func.count(),
        func.sum(case((Entry.counted, 1), else_=0)),
        func.sum(case((Entry.review_status == "pending", 1), else_=0)),
        func.sum(case((Entry.review_status == "rejected", 1), else_=0)),
    ).where(Entry.commune_code == commune)
    if unit.level == "village":
        counts_query = counts_query.where(Entry.village_code == unit.code)
    if period:
        counts_query = counts_query.where(Entry.period == period)
    counts = {
        row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0))
        for row in session.execute(counts_query.group_by(Entry.user_id))
    }
    rows: list[VolunteerRow] = []
    for user, village in session.execute(members):
        total, counted, waiting, rejected = counts.get(user.id, (0, 0, 0, 0))
        rows.append(
            VolunteerRow(
                user_id=user.id,
                name=user.name,
                phone=user.phone,
                youth_union=user.youth_union,
                active=user.deactivated_at is None,
                village_code=village,
                entries=total,
                counted=counted,
                waiting=waiting,
                rejected=rejected,
            )
        )
    return rows


def clean_phone(raw: str, lang: str = "vi") -> str | None:
    """A volunteer's phone in its normal form (None when left empty); VolunteerError if wrong."""
    if not raw.strip():
        return None
    try:
        return normalise_phone(raw.strip())
    except DomainError as exc:
        raise VolunteerError("phone", exc.problem.message(lang)) from None


def add_volunteer(
    session: Session, village: Unit, name: str, phone: str | None, youth_union: bool
) -> AddedUser:
    """A new volunteer in the village's team, with a one-time enrollment code to hand over."""
    try:
        added = add_user(session, "volunteer", village.code, name)
    except UserError as exc:
        raise VolunteerError(exc.field, exc.message) from None
    user = session.get(User, added.user_id)
    assert user is not None
    user.phone = phone
    user.youth_union = youth_union
    session.flush()
    return added


def volunteer_in(session: Session, unit: Unit, user_id: int) -> User | None:
    """A volunteer of the unit's villages by id (None when not one of them)."""
    query = (
        select(User)
        .join(Team, Team.id == User.team_id)
        .join(Unit, Unit.code == Team.village_code)
        .where(User.id == user_id, User.role == "volunteer")
    )
    if unit.level == "village":
        query = query.where(Team.village_code == unit.code)
    else:
        query = query.where(Unit.commune_code == unit.code)
    return session.scalars(query).first()


def hand_out_code(session: Session, user: User) -> str:
    """A fresh enrollment code for an active volunteer (shown once)."""
    if user.deactivated_at is not None:
        raise VolunteerError("user", "Tình nguyện viên đã ngừng hoạt động / Volunteer is inactive")
    return new_enrollment_code(session, user.id)


def pending_codes(session: Session, user_id: int) -> list[PendingCode]:
    """A volunteer's codes not used yet, newest first."""
    rows = session.scalars(
        select(EnrollmentCode)
        .where(EnrollmentCode.user_id == user_id, EnrollmentCode.used_at.is_(None))
        .order_by(EnrollmentCode.created_at.desc())
    ).all()
    return [PendingCode(row.code_hash, row.created_at) for row in rows]


def withdraw_code(session: Session, user_id: int, ref: str) -> int:
    """Withdraw a volunteer's unused code named by reference (all when ref is ""); how many.

    A used code cannot be withdrawn: its laptop is revoked instead.
    """
    query = delete(EnrollmentCode).where(
        EnrollmentCode.user_id == user_id, EnrollmentCode.used_at.is_(None)
    )
    if ref:
        if len(ref) < 12 or not all(c in "0123456789abcdef" for c in ref):
            raise VolunteerError("code", "Mã không hợp lệ / Invalid code reference")
        query = query.where(EnrollmentCode.code_hash.startswith(ref))
    result = session.execute(query.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate or deactivate a volunteer; deactivating withdraws their unused codes."""
    if active:
        user.deactivated_at = None
    elif user.deactivated_at is None:
        user.deactivated_at = datetime.now(UTC)
        withdraw_code(session, user.id, "")
    session.flush()
