"""The unit a staff page is about, checked by the access policy, and shared labels.

The review queue, quotas, teams, exports and audit pages all take `?unit=CODE` (default: the
viewer's own unit) and must name a commune the viewer may manage; the quotas page also takes a
province (its communes' quotas).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.db.models import Service, Unit, User
from sync_server.services import access
from sync_server.services.progress import CATALOGUE_ORDER
from sync_server.web.errors import WebError

CHILD_LEVEL = {"province": "commune", "commune": "village"}
"""The level of the units directly under a province and under a commune."""


def managed_commune(session: Session, user: User, code: str | None) -> Unit:
    """The commune named (or the viewer's own), readable and manageable by the viewer."""
    return managed_unit(session, user, code, ("commune",))


def managed_unit(session: Session, user: User, code: str | None, levels: tuple[str, ...]) -> Unit:
    """The unit named (or the viewer's own), of one of these levels, managed by the viewer."""
    wanted = (code or "").strip() or user.unit_code
    if not wanted:
        raise WebError(400, "Choose a commune first.", detail="unit")
    unit = access.staff_unit(session, user, wanted[:20])
    if unit.level not in levels:
        raise WebError(404, "This page is for a commune.", detail=f"{unit.code} is a {unit.level}")
    if not access.can_manage(user, access.lineage(unit)):
        raise WebError(403, detail="not a unit you manage")
    return unit


def villages_of(session: Session, commune: Unit) -> list[Unit]:
    """The commune's villages still in use, by code."""
    return sub_units(session, commune)


def sub_units(session: Session, unit: Unit) -> list[Unit]:
    """The units directly under a province (communes) or a commune (villages), by code."""
    return list(
        session.scalars(
            select(Unit)
            .where(
                Unit.parent_code == unit.code,
                Unit.level == CHILD_LEVEL.get(unit.level, ""),
                ~Unit.retired,
            )
            .order_by(Unit.code)
        )
    )


def service_labels(session: Session, lang: str) -> dict[str, str]:
    """Every service's label in the page's language, by code, in catalogue order."""
    rows = sorted(
        session.execute(select(Service.code, Service.label_vi, Service.label_en)).all(),
        key=lambda row: (CATALOGUE_ORDER.get(row[0], len(CATALOGUE_ORDER)), row[0]),
    )
    return {code: (vi if lang == "vi" else en) for code, vi, en in rows}
