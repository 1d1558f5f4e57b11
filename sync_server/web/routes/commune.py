"""The commune page and the village page (`/units/{code}` for those levels).

A commune page shows, for the period, each service's achieved against quota for the commune
and every village (villages furthest behind first, or sorted by `?sort=`), what waits for
review, and how fresh the figures are: every laptop of the commune's volunteers with its last
sync, those silent for `laptops.STALE_AFTER` or more called out. A village page shows the
village's figures, its volunteers with their counts, and its laptops.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.db.models import Entry, Unit
from sync_server.services import access
from sync_server.services.laptops import STALE_AFTER, laptops_under, last_sync_received
from sync_server.services.progress import SORT_NAME, Progress, UnitProgress, unit_progress
from sync_server.services.volunteers import volunteers_in
from sync_server.web.crumbs import crumb_items
from sync_server.web.deps import Viewer
from sync_server.web.figures import Figure, short_labels
from sync_server.web.templating import render, request_lang

PAGE_LEVELS = ("commune", "village")


def waiting_count(session: Session, unit: Unit) -> int:
    """Entries of the commune (or village) waiting for review, whatever their outcome."""
    commune = unit.code if unit.level == "commune" else (unit.commune_code or "")
    query = select(func.count()).where(
        Entry.commune_code == commune, Entry.review_status == "pending"
    )
    if unit.level == "village":
        query = query.where(Entry.village_code == unit.code)
    return int(session.scalar(query) or 0)


def unit_figures_json(unit: UnitProgress) -> dict[str, Any]:
    """One unit's figures per service as the JSON twins give them."""
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "services": {
            code: {
                "quota": f.quota,
                "achieved": f.achieved,
                "percent": f.percentage,
                "pending": f.pending,
                "approved": f.approved,
                "rejected": f.rejected,
            }
            for code, f in unit.figures.items()
        },
    }


def progress_json(progress: Progress) -> dict[str, Any]:
    """The page's figures as its JSON twin gives them."""
    return {
        "period": progress.period,
        "unit": unit_figures_json(progress.unit),
        "villages": [unit_figures_json(v) for v in progress.villages],
    }


def villages_json(session: Session, unit: Unit, period: str) -> list[dict[str, Any]] | None:
    """A commune's villages with their figures for the JSON twin (None for other levels)."""
    if unit.level != "commune":
        return None
    villages: list[dict[str, Any]] = progress_json(unit_progress(session, unit, period))["villages"]
    return villages


def page_context(
    session: Session, viewer: Viewer, unit: Unit, period: str, sort: str | None, lang: str
) -> dict[str, Any]:
    """Everything the commune or village template shows (read inside the caller's read)."""
    sort_key = sort if sort else None
    progress = unit_progress(session, unit, period, sort_key)
    now = datetime.now(UTC)
    laptops = laptops_under(session, unit, now)
    labels = {s.code: s.label(lang) for s in progress.services}
    context: dict[str, Any] = {
        "unit": unit,
        "period": period,
        "fig": Figure,
        "progress": progress,
        "labels": labels,
        "shorts": short_labels(labels, lang),
        "sort": sort_key or "",
        "sort_name": SORT_NAME,
        "laptops": laptops,
        "stale": [item for item in laptops if item.stale],
        "stale_days": STALE_AFTER.days,
        "waiting": waiting_count(session, unit),
        "crumbs": crumb_items(session, viewer.user, unit),
        "manage": access.can_manage(viewer.user, access.lineage(unit)),
        "commune_code": unit.code if unit.level == "commune" else unit.commune_code,
        "as_of": last_sync_received(session, unit),
    }
    if unit.level == "village":
        context["volunteers"] = volunteers_in(session, unit, period)
    else:
        villages = {v.code: v.name for v in progress.villages}
        context["village_names"] = villages
    return context


def render_page(request: Request, context: dict[str, Any]) -> Response:
    """The commune or village page from its context."""
    unit: Unit = context["unit"]
    name = "commune.html" if unit.level == "commune" else "village.html"
    return render(request, name, context)


def lang_of(request: Request) -> str:
    """The page's language (labels of services come from the catalogue in that language)."""
    return request_lang(request)
