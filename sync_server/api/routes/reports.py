"""GET /tally and GET /units: figures and the unit tree, within what the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import TypeAdapter

from fieldkit.domain import wire
from sync_server.api.deps import CurrentUser, SessionDep
from sync_server.api.errors import ApiError
from sync_server.api.openapi import errors
from sync_server.services import tally, units
from sync_server.services.access import readable_unit

router = APIRouter(tags=["reports"])

UnitParam = Annotated[str | None, Query(min_length=1, max_length=20)]
PeriodParam = Annotated[str | None, Query(pattern=r"^[0-9]{4}$")]
TALLY_ROWS = TypeAdapter(list[wire.TallyRow])


@router.get("/tally", response_model=list[wire.TallyRow], responses=errors(403, 404))
def read_tally(
    user: CurrentUser,
    session: SessionDep,
    unit: UnitParam = None,
    period: PeriodParam = None,
    subtree: bool = True,
) -> Response:
    """Achieved against quota for a unit (default: the caller's own) and, by default, below it.

    The JSON is made here, on the request's thread: FastAPI would make it on the event loop,
    which a province's 6,805 rows held for ~30 ms while every other request, /healthz
    included, waited (bench/README.md, load).
    """
    checked = readable_unit(session, user, unit)
    rows = tally.read_tally(session, checked.code, period, subtree=subtree)
    session.rollback()
    return Response(TALLY_ROWS.dump_json(rows, by_alias=True), media_type="application/json")


@router.get("/units", responses=errors(404))
def list_units(
    user: CurrentUser,
    session: SessionDep,
    parent: UnitParam = None,
) -> list[wire.UnitRead]:
    """The units directly under `parent` (the provinces when omitted)."""
    try:
        rows = units.list_units(session, parent_code=parent)
    except units.UnitError as exc:
        raise ApiError(404, "unit_not_found", f"There is no unit with code {parent}.") from exc
    session.rollback()
    return rows
