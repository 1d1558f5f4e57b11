"""Distinct citizens helped per unit and period: people, not entries.

A citizen counts once per unit however many services or volunteers helped them; entries a
coordinator rejected on review do not count. The province page, the commune page and the
campaign report all read this one function, so the rule lives here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import Entry, Unit

_COLUMN = {
    wire.UnitLevel.PROVINCE: Entry.province_code,
    wire.UnitLevel.COMMUNE: Entry.commune_code,
    wire.UnitLevel.VILLAGE: Entry.village_code,
}


def citizens_helped(session: Session, units: Iterable[Unit], period: str) -> dict[str, int]:
    """Distinct citizens helped in `period` for each of `units` (0 for a unit with none)."""
    found: dict[str, int] = {}
    by_level: dict[str, list[str]] = {}
    for unit in units:
        found[unit.code] = 0
        by_level.setdefault(unit.level, []).append(unit.code)
    for level, codes in by_level.items():
        column = _COLUMN[wire.UnitLevel(level)]
        query = (
            select(column, func.count(Entry.citizen_key.distinct()))
            .where(
                column.in_(codes),
                Entry.period == period,
                Entry.review_status != "rejected",
            )
            .group_by(column)
        )
        for code, count in session.execute(query):
            found[code] = count
    return found
