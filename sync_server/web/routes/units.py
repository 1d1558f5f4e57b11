"""Unit pages: `/` and `/units` send people to where they belong; `/units/{code}` shows a unit.

The unit page here is the shell's first page (the unit's own figures per service); the commune,
village and province pages build on it. Each has a JSON twin at `/units/{code}.json`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from sync_server.api.deps import SessionDep
from sync_server.db.engine import reading
from sync_server.db.models import Unit
from sync_server.services import access, tally
from sync_server.services.laptops import last_sync_received
from sync_server.web.crumbs import crumb_items
from sync_server.web.deps import PagePeriod, SignedIn, current_viewer
from sync_server.web.figures import Column, Figure, Table, service_labels
from sync_server.web.landing import landing_path
from sync_server.web.routes import commune, province
from sync_server.web.templating import render, request_lang

router = APIRouter(tags=["web"], include_in_schema=False)

METRICS = ("achieved", "quota", "percent", "pending", "approved", "rejected")
COLUMNS = [
    Column("Service", key="service"),
    Column("Achieved", numeric=True, key="achieved"),
    Column("Quota", numeric=True, key="quota"),
    Column("Percent of quota", numeric=True, key="percent"),
    Column("Waiting for review", numeric=True, key="pending"),
    Column("Approved", numeric=True, key="approved"),
    Column("Rejected", numeric=True, key="rejected"),
]


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    """Signed out: the sign-in page; signed in: one's own page."""
    viewer = current_viewer(request, session)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    if viewer.user.must_change_password:
        return RedirectResponse("/password", status_code=303)
    return RedirectResponse(landing_path(viewer.user), status_code=303)


@router.get("/units")
def provinces(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """An admin's list of provinces; anyone else goes to their own unit."""
    if not viewer.is_admin:
        return RedirectResponse(landing_path(viewer.user), status_code=303)
    with reading(session):
        rows = list(
            session.scalars(
                select(Unit)
                .where(Unit.level == "province", Unit.retired.is_(False))
                .order_by(Unit.name)
            )
        )
    return render(request, "units.html", {"units": rows})


def _figures(
    session: SessionDep, unit: Unit, period: str, lang: str = "vi"
) -> tuple[list[dict[str, Any]], Table]:
    rows = tally.read_tally(session, unit.code, period, subtree=False)
    labels = service_labels(session, lang)
    table = Table(
        caption="Figures for {period}",
        columns=COLUMNS,
        caption_fields={"period": period},
        key="services",
    )
    data = []
    for row in rows:
        values = {
            "achieved": row.achieved,
            "quota": row.quota,
            "percent": row.percentage,
            "pending": row.pending,
            "approved": row.approved,
            "rejected": row.rejected,
        }
        data.append({"service": row.service, **values})
        table.rows.append(
            [
                labels.get(row.service, row.service),
                *(Figure(unit.code, row.service, m, values[m]) for m in METRICS),
            ]
        )
    return data, table


@router.get("/units/{code}.json")
def unit_json(code: str, session: SessionDep, viewer: SignedIn, period: PagePeriod) -> Response:
    """The unit page's figures as JSON (the same numbers as the page)."""
    with reading(session):
        unit = access.staff_unit(session, viewer.user, code)
        data, _table = _figures(session, unit, period)
        villages = commune.villages_json(session, unit, period)
        communes = None
        if unit.level == "province":
            communes = province.communes_json(session, unit, period)
        as_of = last_sync_received(session, unit)
    return JSONResponse(
        {
            "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
            "period": period,
            "figures_as_of": as_of.isoformat() if as_of else None,
            "services": data,
            **({"villages": villages} if villages is not None else {}),
            **({"communes": communes} if communes is not None else {}),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/units/{code}")
def unit_page(
    code: str,
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    period: PagePeriod,
    sort: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A unit's page: a commune's or village's own page, else figures per service and units."""
    with reading(session):
        unit = access.staff_unit(session, viewer.user, code)
        if unit.level in commune.PAGE_LEVELS:
            context = commune.page_context(
                session, viewer, unit, period, sort, commune.lang_of(request)
            )
            return commune.render_page(request, context)
        if unit.level == "province":
            context = province.page_context(
                session, viewer, unit, period, sort, request_lang(request)
            )
            return render(request, "province.html", context)
        _data, table = _figures(session, unit, period, request_lang(request))
        children = list(
            session.scalars(
                select(Unit)
                .where(Unit.parent_code == unit.code, Unit.retired.is_(False))
                .order_by(Unit.code)
            )
        )
        crumbs = crumb_items(session, viewer.user, unit)
        as_of = last_sync_received(session, unit)
    return render(
        request,
        "unit.html",
        {
            "unit": unit,
            "period": period,
            "table": table,
            "children": children,
            "crumbs": crumbs,
            "as_of": as_of,
        },
    )
