"""The campaign report for people: `/reports/campaign` (a page that prints on A4 landscape) and
`/reports/campaign.xlsx` (the file `sync-server report campaign --format xlsx` writes).

One row per unit under the one asked for (a province's communes, a commune's villages), the
unit itself as the totals row; the columns are `campaign_files.COLUMNS`, so the page and the
file show the same figures. Beside a figure the official systems also count (imported with
`sync-server report official import`) stand the official figure and the gap. Counts only, no
personal data; each reading and each download goes to the audit log.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from sync_server.api.deps import SessionDep
from sync_server.db.engine import reading, writing
from sync_server.db.models import Unit, User
from sync_server.services import access, audit
from sync_server.services.campaign import CampaignReport, CampaignRow, campaign_report
from sync_server.services.campaign_files import (
    COLUMNS,
    HELPED_NOTE,
    HELPED_NOTE_EN,
    OFFICIAL_LABELS,
    TITLE,
    TITLE_EN,
    TOTAL_LABEL,
    UNIT_COLUMNS,
    Column,
    write_xlsx,
)
from sync_server.services.targets import TargetError
from sync_server.web.deps import PagePeriod, SignedIn
from sync_server.web.errors import WebError
from sync_server.web.figures import Figure
from sync_server.web.templating import render, request_lang

router = APIRouter(tags=["web"], include_in_schema=False)

REPORT_LEVELS = ("province", "commune")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UnitQuery = Annotated[str | None, Query(max_length=40)]


@dataclass(frozen=True)
class Cell:
    """One figure of a row, and beside it the official count and the gap when there is one."""

    label: str
    figure: Figure
    official: Figure | None = None
    gap: Figure | None = None


@dataclass(frozen=True)
class Row:
    """A unit's line of the report."""

    code: str
    name: str
    cells: list[Cell]


def _cells(row: CampaignRow, columns: list[Column], lang: str) -> list[Cell]:
    cells = []
    for column in columns:
        label = column.header if lang == "vi" else column.english
        figure = Figure(row.unit_code, "", column.metric, column.figure(row), column.is_percent)
        official = gap = None
        if column.metric in OFFICIAL_LABELS and column.metric in row.official:
            found = row.official[column.metric]
            official = Figure(row.unit_code, "", f"{column.metric}_official", found)
            gap = Figure(row.unit_code, "", f"{column.metric}_gap", row.gap(column.metric))
        cells.append(Cell(label, figure, official, gap))
    return cells


def report_rows(report: CampaignReport, lang: str) -> tuple[list[str], list[Row], Row]:
    """The page's column headings, one row per unit under the report's unit, and the totals."""
    columns = list(COLUMNS[UNIT_COLUMNS:])
    headings = [c.header if lang == "vi" else c.english for c in columns]
    rows = [Row(r.unit_code, r.unit_name, _cells(r, columns, lang)) for r in report.rows]
    total = report.total
    name = f"{TOTAL_LABEL if lang == 'vi' else 'Total'} ({total.unit_name})"
    return headings, rows, Row(total.unit_code, name, _cells(total, columns, lang))


def _report_unit(session: Session, user: User, code: str | None) -> Unit:
    """The province or commune asked for (default: one's own), if the viewer may read it."""
    unit = access.staff_unit(session, user, (code or "").strip()[:20])
    if unit.level not in REPORT_LEVELS:
        raise WebError(
            404,
            "The campaign report is made for a province or a commune.",
            detail=f"{unit.code} is a {unit.level}",
        )
    return unit


def _report(
    session: Session, user: User, code: str | None, period: str
) -> tuple[Unit, CampaignReport]:
    unit = _report_unit(session, user, code)
    try:
        return unit, campaign_report(session, unit.code, period)
    except TargetError as exc:
        raise WebError(400, "The period must be a year, such as 2026.", detail="period") from exc


def _audit(session: Session, user: User, report: CampaignReport, fmt: str) -> None:
    action = "report.read" if fmt == "html" else "report.export"
    detail = f"report=campaign unit={report.total.unit_code} period={report.period} format={fmt}"
    with writing(session):
        audit.record(session, user, action, report.total.unit_code, detail)


@router.get("/reports/campaign.xlsx")
def campaign_xlsx(
    session: SessionDep, viewer: SignedIn, period: PagePeriod, unit: UnitQuery = None
) -> Response:
    """The report as the XLSX a province officer attaches as it is (numbers as numbers)."""
    with reading(session):
        _unit, report = _report(session, viewer.user, unit, period)
    folder = Path(tempfile.mkdtemp(prefix="fieldkit-report-"))
    out = folder / "report.xlsx"

    def clean_up() -> None:
        out.unlink(missing_ok=True)
        folder.rmdir()

    try:
        write_xlsx(report, out)
        _audit(session, viewer.user, report, "xlsx")
    except BaseException:
        clean_up()
        raise

    return FileResponse(
        out,
        media_type=XLSX,
        filename=f"bao-cao-chien-dich-{report.total.unit_code}-{report.period}.xlsx",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(clean_up),
    )


@router.get("/reports/campaign")
def campaign_page(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    period: PagePeriod,
    unit: UnitQuery = None,
) -> Response:
    """The report as a page: title, unit, period, date made, units in rows, totals row."""
    lang = request_lang(request)
    with reading(session):
        found, report = _report(session, viewer.user, unit, period)
        manage = access.can_manage(viewer.user, access.lineage(found))
    _audit(session, viewer.user, report, "html")
    headings, rows, total = report_rows(report, lang)
    level = report.total.level
    return render(
        request,
        "campaign_report.html",
        {
            "report": report,
            "title": TITLE if lang == "vi" else TITLE_EN,
            "headings": headings,
            "rows": rows,
            "total": total,
            "note": HELPED_NOTE if lang == "vi" else HELPED_NOTE_EN,
            "sub_level": "commune" if level == "province" else "village",
            "manage": manage,
            "has_official": any(c.official for r in [*rows, total] for c in r.cells),
        },
    )
