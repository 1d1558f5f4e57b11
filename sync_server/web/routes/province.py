"""The province page (`/units/{province code}`): the province against quota, and its communes.

Per service, the province's achieved against quota (table and bars); its communes in a table
(each service's achieved, quota and percent, distinct citizens helped, entries waiting for
review, the share of laptops synced in the last 24 hours), furthest behind first or sorted by
`?sort=` links that work without JavaScript; charts of progress, entries per week and communes
ranked by share of quota. The figures come from the tallies of the province and its communes
only (`unit_progress`), so they equal `sync-server tally --json` for each unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from sync_server.db.models import Unit
from sync_server.services.citizens import citizens_helped
from sync_server.services.laptops import RECENT, last_sync_received
from sync_server.services.progress import SORT_NAME, Progress, unit_progress
from sync_server.services.province_communes import (
    CommuneRow,
    communes_of,
    sort_communes,
    sort_keys,
    waiting_of,
)
from sync_server.services.weekly import Weekly, entries_per_week
from sync_server.web import charts, i18n
from sync_server.web.crumbs import crumb_items
from sync_server.web.deps import Viewer
from sync_server.web.figures import Figure, short_labels
from sync_server.web.routes.commune import unit_figures_json


def chart_service(progress: Progress, sort: str) -> str | None:
    """The service communes are ranked by: the one sorted by, else the first with a quota."""
    codes = [s.code for s in progress.services]
    if sort in codes:
        return sort
    for code in codes:
        if progress.unit.get(code).quota or any(c.get(code).quota for c in progress.children):
            return code
    return codes[0] if codes else None


def page_context(
    session: Session, viewer: Viewer, unit: Unit, period: str, sort: str | None, lang: str
) -> dict[str, Any]:
    """Everything the province template shows (read inside the caller's read)."""
    progress = unit_progress(session, unit, period)
    chosen = sort if sort is not None and sort in sort_keys(progress) else ""
    now = datetime.now(UTC)
    rows = sort_communes(
        communes_of(session, unit, progress, now), chosen, {s.code for s in progress.services}
    )
    labels = {s.code: s.label(lang) for s in progress.services}
    shorts = short_labels(labels, lang)
    own_citizens = citizens_helped(session, [unit], period)[unit.code]
    weekly = entries_per_week(session, unit, period)
    ranked_by = chart_service(progress, chosen)
    return {
        "unit": unit,
        "period": period,
        "fig": Figure,
        "progress": progress,
        "labels": labels,
        "shorts": shorts,
        "rows": rows,
        "sort": chosen,
        "sort_name": SORT_NAME,
        "recent_hours": int(RECENT.total_seconds() // 3600),
        "citizens": own_citizens,
        "waiting": waiting_of(progress.unit),
        "weekly": weekly,
        "ranked_by": ranked_by,
        "charts": province_charts(progress, rows, weekly, shorts, ranked_by, lang),
        "crumbs": crumb_items(session, viewer.user, unit),
        "as_of": last_sync_received(session, unit),
    }


def province_charts(
    progress: Progress,
    rows: list[CommuneRow],
    weekly: Weekly,
    labels: dict[str, str],
    ranked_by: str | None,
    lang: str,
) -> dict[str, Markup]:
    """The page's three charts, titled and described in the page's language.

    `labels` are the services' short names: a chart's label line has no room for the full ones
    (the tables beside the charts give them whole).
    """
    _ = i18n.gettext_for(lang)
    own = progress.unit
    bars = []
    for service in progress.services:
        f = own.get(service.code)
        text = f"{i18n.number(f.achieved, lang)} / {i18n.number(f.quota, lang)}"
        if f.percentage is not None:
            text += f" ({i18n.percent(f.percentage, lang)})"
        bars.append(charts.Bar(labels[service.code], f.achieved, f.quota, text))
    out = {
        "progress": charts.progress_bars(
            _(
                "{unit}: achieved against quota per service, {period}",
                unit=own.name,
                period=progress.period,
            ),
            _("The table of services below gives the same figures."),
            bars,
        )
    }
    shown = [(labels[code], weekly.counts[code]) for code in labels if code in weekly.counts]
    out["weekly"] = charts.line_chart(
        _("Entries counted per week and service, {period}", period=progress.period),
        _("The table under the chart gives the same figures.")
        if shown
        else _("No entry counted yet in this period."),
        [i18n.day(week)[:5] for week in weekly.weeks],
        shown,
        lambda value: i18n.number(value, lang),
        lambda top: _("Every row on one scale: its top is {count} entries a week", count=top),
    )
    if ranked_by is not None:
        ranked = sorted(
            (r for r in rows if r.progress.get(ranked_by).percentage is not None),
            key=lambda r: (r.progress.get(ranked_by).percentage or 0.0, r.code),
        )
        out["ranked"] = charts.ranked_bars(
            _("Communes ranked by share of quota: {service}", service=labels[ranked_by]),
            _("The table of communes above gives the same figures."),
            [
                charts.Bar(
                    r.progress.name,
                    r.progress.get(ranked_by).percentage or 0.0,
                    text=i18n.percent(r.progress.get(ranked_by).percentage, lang),
                )
                for r in ranked
            ],
        )
    return out


def communes_json(session: Session, unit: Unit, period: str) -> list[dict[str, Any]]:
    """A province's communes with their figures, for the JSON twin."""
    progress = unit_progress(session, unit, period)
    rows = communes_of(session, unit, progress, datetime.now(UTC))
    return [
        {
            **unit_figures_json(r.progress),
            "citizens_helped": r.citizens,
            "waiting": r.waiting,
            "laptops": r.sync.laptops,
            "laptops_synced_24h": r.sync.recent,
            "laptops_synced_24h_percent": r.sync.percent,
        }
        for r in sort_communes(rows, "", {s.code for s in progress.services})
    ]
