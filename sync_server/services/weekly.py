"""Entries counted toward quotas per week and service, over a period, for a unit's chart.

A week runs Monday to Sunday in Vietnam's time; an entry counts in the week it was assisted,
and only when the tally counts it (`counted`), so a service's weeks add up to its `achieved`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import VIETNAM_TZ, wire
from sync_server.db.models import Entry, Unit

_COLUMN = {
    wire.UnitLevel.PROVINCE: Entry.province_code,
    wire.UnitLevel.COMMUNE: Entry.commune_code,
    wire.UnitLevel.VILLAGE: Entry.village_code,
}


@dataclass
class Weekly:
    """Mondays of the weeks shown, and each service's count per week (same length)."""

    weeks: list[date]
    counts: dict[str, list[int]] = field(default_factory=dict)


def _local_day(session: Session) -> Any:
    """The SQL for an entry's day of assistance in Vietnam's time (UTC+7, no summer time)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(VIETNAM_TZ.key, Entry.assisted_at))
    return func.date(Entry.assisted_at, "+7 hours")


def monday(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def period_weeks(period: str, today: date) -> list[date]:
    """Mondays from the period's first week to its last, or to this week in the current one."""
    year = int(period)
    last = date(year, 12, 31)
    if today.year == year:
        last = today
    first = monday(date(year, 1, 1))
    count = (monday(last) - first).days // 7 + 1
    return [first + timedelta(weeks=n) for n in range(max(count, 0))]


def entries_per_week(
    session: Session, unit: Unit, period: str, now: datetime | None = None
) -> Weekly:
    """Counted entries of the unit per service and week of the period."""
    today = (now or datetime.now(VIETNAM_TZ)).astimezone(VIETNAM_TZ).date()
    weeks = period_weeks(period, today)
    index = {week: n for n, week in enumerate(weeks)}
    column = _COLUMN[wire.UnitLevel(unit.level)]
    day = _local_day(session)
    query = (
        select(Entry.service, day, func.count())
        .where(column == unit.code, Entry.period == period, Entry.counted.is_(True))
        .group_by(Entry.service, day)
    )
    weekly = Weekly(weeks)
    for service, when, count in session.execute(query):
        spot = index.get(monday(when if isinstance(when, date) else date.fromisoformat(when)))
        if spot is None:  # assisted outside the period's calendar (a late-dated entry)
            spot = 0 if weeks and str(when) < str(weeks[0]) else len(weeks) - 1
        if spot < 0:
            continue
        series = weekly.counts.setdefault(service, [0] * len(weeks))
        series[spot] += int(count)
    return weekly
