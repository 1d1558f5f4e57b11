"""Exports of a commune's entries (CSV, XLSX: the same file as `sync-server export`) and the
audit page: who read, reviewed or exported what in a commune, or in a whole province.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from fieldkit.domain.digits import ascii_int
from sync_server.api.deps import SessionDep
from sync_server.db.engine import reading, writing
from sync_server.services import access
from sync_server.services.audit import PAGE, audit_page
from sync_server.services.exports import record_export, write_export
from sync_server.web.communes import managed_commune
from sync_server.web.deps import SignedIn
from sync_server.web.errors import WebError
from sync_server.web.templating import render

router = APIRouter(tags=["web"], include_in_schema=False)

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/exports/entries.{fmt}")
def export(fmt: str, request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """The commune's entries as a file, masked numbers and Vietnamese headers; audited."""
    if fmt not in MEDIA:
        raise WebError(404, detail="csv or xlsx")
    with reading(session):
        commune = managed_commune(session, viewer.user, request.query_params.get("unit"))
        folder = Path(tempfile.mkdtemp(prefix="fieldkit-export-"))
        out = folder / f"{commune.code}.{fmt}"
        unit, count = write_export(session, commune.code, fmt, out)
    with writing(session):
        record_export(session, unit, fmt, count, viewer.user.id)

    def clean_up() -> None:
        out.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(
        out,
        media_type=MEDIA[fmt],
        filename=f"fieldkit-{commune.code}.{fmt}",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(clean_up),
    )


@router.get("/audit")
def audit(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """Who read, reviewed or exported what in the commune or province, newest first."""
    params = request.query_params
    page = ascii_int((params.get("page") or "1").strip(), max_digits=6)
    if page is None or not 1 <= page <= 100_000:
        raise WebError(400, "No such page.", detail="page")
    with reading(session):
        unit = access.audit_unit(session, viewer.user, params.get("unit"))
        rows, total = audit_page(session, unit, (page - 1) * PAGE, PAGE)
    return render(
        request,
        "audit.html",
        {
            "unit": unit,
            "commune_code": unit.code if unit.level == "commune" else "",
            "period": "",
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "page_link": lambda number: "/audit?" + urlencode({"unit": unit.code, "page": number}),
        },
    )
