"""The audit log: who read, reviewed or exported personal data, unit by unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sync_server.db.models import AuditLog, Unit, User

PAGE = 100


@dataclass(frozen=True)
class AuditRow:
    """One audit record with the name of the user behind it."""

    at: datetime
    user_id: int | None
    user_name: str
    action: str
    unit_code: str | None
    entry_id: str | None
    detail: str


def record(
    session: Session, user: User | None, action: str, unit_code: str | None, detail: str = ""
) -> None:
    """Write one audit record in the caller's transaction."""
    session.add(
        AuditLog(
            user_id=user.id if user is not None else None,
            action=action,
            unit_code=unit_code,
            detail=detail,
        )
    )


def audit_page(
    session: Session, unit: Unit, offset: int = 0, limit: int = PAGE
) -> tuple[list[AuditRow], int]:
    """A unit's audit records and those of every unit under it, newest first, and how many.

    A commune's villages, a province's communes and villages.
    """
    column = Unit.province_code if unit.level == "province" else Unit.parent_code
    below = select(Unit.code).where(column == unit.code)
    where = or_(AuditLog.unit_code == unit.code, AuditLog.unit_code.in_(below))
    total = session.scalar(select(func.count()).select_from(AuditLog).where(where)) or 0
    rows = session.execute(
        select(AuditLog, User.name)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(where)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        AuditRow(
            at=log.at,
            user_id=log.user_id,
            user_name=name or "",
            action=log.action,
            unit_code=log.unit_code,
            entry_id=log.entry_id,
            detail=log.detail,
        )
        for log, name in rows
    ], total
