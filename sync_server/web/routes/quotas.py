"""Village quotas of a commune (`/quotas`): one quota by form, or a CSV file in the columns of
`sync-server quota import` (the same reader and row checks); a file with any bad row saves
nothing. The page shows the sum over villages against the commune's own quota.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from fieldkit.domain.digits import ascii_int, is_ascii_digits
from fieldkit.domain.wire import QuotaGroup
from sync_server.api.deps import SessionDep
from sync_server.db.engine import reading, writing
from sync_server.db.models import Quota, Unit, User
from sync_server.services import access, audit
from sync_server.services.quotas import (
    CSV_COLUMNS,
    MAX_CSV_BYTES,
    QuotaError,
    QuotaFileError,
    RowError,
    import_quotas_whole,
    quota_split,
    read_quota_csv,
    set_quota,
)
from sync_server.web.communes import managed_commune, service_labels, villages_of
from sync_server.web.deps import CheckedForm, PagePeriod, SignedIn, page_period
from sync_server.web.figures import Figure
from sync_server.web.templating import render, request_lang

router = APIRouter(tags=["web"], include_in_schema=False)


def _refusal(user: User, commune: Unit) -> Any:
    """Why a row's unit may not get a quota from this page (None when it may)."""

    def refuse(unit: Unit) -> str | None:
        if unit.parent_code != commune.code or unit.level != "village":
            return (
                f"{unit.code} không phải thôn của xã {commune.code} / "
                f"{unit.code} is not a village of commune {commune.code}"
            )
        if not access.can_set_quota(user, unit):
            return "không được đặt chỉ tiêu này / you may not set this quota"
        return None

    return refuse


def _page(
    request: Request,
    session: Session,
    user: User,
    commune: Unit,
    period: str,
    *,
    errors: list[RowError] | None = None,
    file_error: str = "",
    form_error: str = "",
    status: int = 200,
) -> Response:
    lang = request_lang(request)
    villages = villages_of(session, commune)
    labels = service_labels(session, lang)
    codes = [v.code for v in villages]
    quotas: dict[tuple[str, str], int] = {}
    if codes:
        for row in session.scalars(
            select(Quota).where(
                Quota.unit_code.in_(codes),
                Quota.period == period,
                Quota.target_group == QuotaGroup.ALL.value,  # the page sets quotas for everyone
            )
        ):
            quotas[(row.unit_code, row.service)] = row.target
    split = quota_split(session, commune, period)
    shown = sorted({s for _u, s in quotas} | {s.service for s in split})
    return render(
        request,
        "quotas.html",
        {
            "unit": commune,
            "commune_code": commune.code,
            "period": period,
            "fig": Figure,
            "villages": villages,
            "labels": labels,
            "quotas": quotas,
            "split": split,
            "shown": shown,
            "columns": CSV_COLUMNS,
            "errors": errors or [],
            "file_error": file_error,
            "form_error": form_error,
            "can_set": access.can_set_quota(user, villages[0]) if villages else False,
        },
        status,
    )


@router.get("/quotas")
def quotas_page(
    request: Request, session: SessionDep, viewer: SignedIn, period: PagePeriod
) -> Response:
    """The commune's village quotas for a period, and their sum against its own quota."""
    with reading(session):
        commune = managed_commune(session, viewer.user, request.query_params.get("unit"))
        return _page(request, session, viewer.user, commune, period)


def _text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


@router.post("/quotas/set")
def set_one(request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm) -> Response:
    """Set one village's quota for a service and period."""
    with reading(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
    period = _text(form, "period")
    shown_period = period if len(period) == 4 and is_ascii_digits(period) else ""
    try:
        with writing(session):
            village = session.get(Unit, _text(form, "unit_code")[:20])
            refusal = _refusal(viewer.user, commune)(village) if village else "unknown village"
            if village is None or refusal:
                raise QuotaError("unit_code", str(refusal))
            target = ascii_int(_text(form, "target").replace(".", "").replace(" ", ""), 9)
            if target is None:
                raise QuotaError("target", "Chỉ tiêu phải là số nguyên ≥ 0 / Target must be ≥ 0")
            set_quota(session, village.code, _text(form, "service"), period, target)
            audit.record(
                session, viewer.user, "quota.set", commune.code, f"{village.code} {period}"
            )
    except QuotaError as exc:
        with reading(session):
            return _page(
                request, session, viewer.user, commune, shown_period or page_period(None),
                form_error=exc.message, status=400,
            )  # fmt: skip
    return RedirectResponse(f"/quotas?unit={commune.code}&period={period}&saved=1", 303)


class _BadRows(Exception):
    """A quota file with bad rows: nothing of it is saved."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


@router.post("/quotas/import")
def import_file(
    request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """A quota CSV: saved whole when every row is good, else every bad row named."""
    upload = form.get("file")
    data = upload.file.read(MAX_CSV_BYTES + 1) if isinstance(upload, UploadFile) else b""
    return _import(request, session, viewer.user, _text(form, "unit"), _text(form, "period"), data)


def _import(
    request: Request, session: Session, user: User, unit: str, period: str, data: bytes
) -> Response:
    with reading(session):
        commune = managed_commune(session, user, unit)
    shown = period if len(period) == 4 and is_ascii_digits(period) else page_period(None)
    try:
        rows = read_quota_csv(data)
        with writing(session):
            saved, errors = import_quotas_whole(session, rows, _refusal(user, commune))
            if errors:
                raise _BadRows(errors)
            detail = f"rows={len(rows)} saved={saved}"
            audit.record(session, user, "quota.import", commune.code, detail)
    except QuotaFileError as exc:
        with reading(session):
            return _page(request, session, user, commune, shown, file_error=str(exc), status=400)
    except _BadRows as bad:
        with reading(session):
            return _page(request, session, user, commune, shown, errors=bad.errors, status=400)
    return RedirectResponse(f"/quotas?unit={commune.code}&period={shown}&imported={saved}", 303)
