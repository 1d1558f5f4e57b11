"""GET /quotas and PUT /quotas: targets per unit, service and period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from sqlalchemy import or_, select

from fieldkit.domain import wire
from sync_server.api.deps import CurrentUser, SessionDep, StaffUser
from sync_server.api.errors import ApiError
from sync_server.api.openapi import errors
from sync_server.db.engine import writing
from sync_server.db.models import Quota, Unit
from sync_server.services import quotas
from sync_server.services.access import can_set_quota, readable_unit

router = APIRouter(prefix="/quotas", tags=["quotas"])

MAX_QUOTAS = 5000


@router.get("", responses=errors(403, 404))
def read_quotas(
    user: CurrentUser,
    session: SessionDep,
    unit: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    period: Annotated[str | None, Query(pattern=r"^[0-9]{4}$")] = None,
) -> list[wire.QuotaRead]:
    """The quotas of a unit (default: the caller's own) and of the units directly under it."""
    checked = readable_unit(session, user, unit)
    children = select(Unit.code).where(Unit.parent_code == checked.code)
    statement = select(Quota).where(
        or_(Quota.unit_code == checked.code, Quota.unit_code.in_(children))
    )
    if period:
        statement = statement.where(Quota.period == period)
    rows = session.scalars(
        statement.order_by(Quota.unit_code, Quota.service, Quota.period, Quota.target_group)
    )
    result = [
        wire.QuotaRead(
            unit_code=q.unit_code,
            service=q.service,
            period=q.period,
            target=q.target,
            group=wire.QuotaGroup(q.target_group),
        )
        for q in rows
    ]
    session.rollback()
    return result


@router.put("", responses=errors(403, 404))
def write_quotas(
    body: Annotated[list[wire.QuotaWrite], Body(max_length=MAX_QUOTAS)],
    user: StaffUser,
    session: SessionDep,
) -> list[wire.QuotaRead]:
    """Set quotas for units under the caller's own (all or nothing)."""
    with writing(session):
        for index, item in enumerate(body):
            unit = session.get(Unit, item.unit_code)
            if unit is None:
                raise ApiError(
                    404,
                    "unit_not_found",
                    f"[{index}].unit_code: there is no unit {item.unit_code}.",
                )
            if not can_set_quota(user, unit):
                raise ApiError(
                    403,
                    "forbidden",
                    f"[{index}]: you may not set quotas for unit {item.unit_code}.",
                )
        for index, item in enumerate(body):
            try:
                quotas.set_quota(
                    session,
                    item.unit_code,
                    item.service,
                    item.period,
                    item.target,
                    item.group.value,
                )
            except quotas.QuotaError as exc:
                raise ApiError(
                    422, "invalid_quota", f"[{index}].{exc.field}: {exc.message}", field=exc.field
                ) from exc
    return [wire.QuotaRead(**q.model_dump()) for q in body]
