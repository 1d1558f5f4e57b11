"""Quotas set downwards (`/quotas?unit=CODE`): a commune's villages', a province's communes'.

One quota by form (unit × service × period × target group), or a CSV file in the columns of
`sync-server quota import` (the same reader and row checks); a file with any bad row saves
nothing. The page shows the sum over the units under it against the unit's own quota.
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
    OPTIONAL_COLUMNS,
    QuotaError,
    QuotaFileError,
    RowError,
    import_quotas_whole,
    quota_split,
    read_quota_csv,
    set_quota,
)
from sync_server.web.communes import CHILD_LEVEL, managed_unit, service_labels, sub_units
from sync_server.web.deps import CheckedForm, PagePeriod, SignedIn, page_period
from sync_server.web.figures import Figure
from sync_server.web.templating import render, request_lang

router = APIRouter(tags=["web"], include_in_schema=False)


LEVELS = tuple(CHILD_LEVEL)
"""The units whose sub-units get quotas here: provinces (communes) and communes (villages)."""
_VI_LEVEL = {"province": "tỉnh", "commune": "xã", "village": "thôn"}
WORDS = {
    "province": {
        "title": "Commune quotas",
        "split": "Communes against the province's quota",
        "short": "The communes' quotas add up to less than the province's own quota for {count} "
        "quotas.",
        "own": "Province's quota",
        "sum": "Sum over communes",
        "none": "The province has no quota",
        "each": "Quotas per commune",
        "caption": "Commune quotas, {period}",
        "split_caption": "Sum of commune quotas, {period}",
        "sub": "Commune",
    },
    "commune": {
        "title": "Village quotas",
        "split": "Villages against the commune's quota",
        "short": "The villages' quotas add up to less than the commune's own quota for {count} "
        "services.",
        "own": "Commune's quota",
        "sum": "Sum over villages",
        "none": "The commune has no quota",
        "each": "Quotas per village",
        "caption": "Village quotas, {period}",
        "split_caption": "Sum of village quotas, {period}",
        "sub": "Village",
    },
}
"""The page's words for a province's and for a commune's page (i18n keys)."""


def managed_parent(session: Session, user: User, code: str | None) -> Unit:
    """The province or commune whose sub-units' quotas are shown, managed by the viewer."""
    return managed_unit(session, user, code, LEVELS)


def _refusal(user: User, parent: Unit) -> Any:
    """Why a row's unit may not get a quota from this page (None when it may)."""
    child = CHILD_LEVEL[parent.level]

    def refuse(unit: Unit) -> str | None:
        if unit.parent_code != parent.code or unit.level != child:
            return (
                f"{unit.code} không thuộc {_VI_LEVEL[parent.level]} {parent.code} / "
                f"{unit.code} is not a {child} of {parent.level} {parent.code}"
            )
        if not access.can_set_quota(user, unit):
            return "không được đặt chỉ tiêu này / you may not set this quota"
        return None

    return refuse


def _page(
    request: Request,
    session: Session,
    user: User,
    parent: Unit,
    period: str,
    *,
    errors: list[RowError] | None = None,
    file_error: str = "",
    form_error: str = "",
    status: int = 200,
) -> Response:
    lang = request_lang(request)
    children = sub_units(session, parent)
    labels = service_labels(session, lang)
    codes = [c.code for c in children]
    quotas: dict[tuple[str, str, str], int] = {}
    for start in range(0, len(codes), 500):
        for row in session.scalars(
            select(Quota).where(
                Quota.unit_code.in_(codes[start : start + 500]), Quota.period == period
            )
        ):
            quotas[(row.unit_code, row.service, row.target_group)] = row.target
    split = quota_split(session, parent, period)
    shown = sorted({(s, g) for _u, s, g in quotas} | {(s.service, s.group) for s in split})
    return render(
        request,
        "quotas.html",
        {
            "unit": parent,
            "commune_code": parent.code if parent.level == "commune" else None,
            "words": WORDS[parent.level],
            "sub_level": CHILD_LEVEL[parent.level],
            "sum_metric": f"{CHILD_LEVEL[parent.level]}_quota_sum",
            "period": period,
            "fig": Figure,
            "children": children,
            "labels": labels,
            "groups": [g.value for g in QuotaGroup],
            "quotas": quotas,
            "split": split,
            "shown": shown,
            "columns": (*CSV_COLUMNS, *OPTIONAL_COLUMNS),
            "errors": errors or [],
            "file_error": file_error,
            "form_error": form_error,
            "can_set": access.can_set_quota(user, children[0]) if children else False,
        },
        status,
    )


@router.get("/quotas")
def quotas_page(
    request: Request, session: SessionDep, viewer: SignedIn, period: PagePeriod
) -> Response:
    """The quotas of a commune's villages or a province's communes, against the unit's own."""
    with reading(session):
        parent = managed_parent(session, viewer.user, request.query_params.get("unit"))
        return _page(request, session, viewer.user, parent, period)


def _text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


@router.post("/quotas/set")
def set_one(request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm) -> Response:
    """Set one sub-unit's quota for a service, period and target group."""
    with reading(session):
        parent = managed_parent(session, viewer.user, _text(form, "unit"))
    period = _text(form, "period")
    shown_period = period if len(period) == 4 and is_ascii_digits(period) else ""
    try:
        with writing(session):
            child = session.get(Unit, _text(form, "unit_code")[:20])
            refusal = _refusal(viewer.user, parent)(child) if child else "unknown unit"
            if child is None or refusal:
                raise QuotaError("unit_code", str(refusal))
            target = ascii_int(_text(form, "target").replace(".", "").replace(" ", ""), 9)
            if target is None:
                raise QuotaError("target", "Chỉ tiêu phải là số nguyên ≥ 0 / Target must be ≥ 0")
            group = _text(form, "group")[:20].lower() or QuotaGroup.ALL.value
            set_quota(session, child.code, _text(form, "service"), period, target, group)
            detail = f"{child.code} {period} {group}"
            audit.record(session, viewer.user, "quota.set", parent.code, detail)
    except QuotaError as exc:
        with reading(session):
            return _page(
                request, session, viewer.user, parent, shown_period or page_period(None),
                form_error=exc.message, status=400,
            )  # fmt: skip
    return RedirectResponse(f"/quotas?unit={parent.code}&period={period}&saved=1", 303)


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
        parent = managed_parent(session, user, unit)
    shown = period if len(period) == 4 and is_ascii_digits(period) else page_period(None)
    try:
        rows = read_quota_csv(data)
        with writing(session):
            saved, errors = import_quotas_whole(session, rows, _refusal(user, parent))
            if errors:
                raise _BadRows(errors)
            detail = f"rows={len(rows)} saved={saved}"
            audit.record(session, user, "quota.import", parent.code, detail)
    except QuotaFileError as exc:
        with reading(session):
            return _page(request, session, user, parent, shown, file_error=str(exc), status=400)
    except _BadRows as bad:
        with reading(session):
            return _page(request, session, user, parent, shown, errors=bad.errors, status=400)
    return RedirectResponse(f"/quotas?unit={parent.code}&period={shown}&imported={saved}", 303)
