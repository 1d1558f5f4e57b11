"""Entries counted toward quotas per week and service, over a period, for a unit's chart.

A week runs Monday to Sunday in Vietnam's time and is named by its Monday (YYYY-MM-DD); an
entry counts in the week it was assisted, and only while the tally counts it (`counted`), so
a service's weeks add up to its `achieved`. The counts are kept with the tallies (`WeekTally`,
updated by `tally.TallyDeltas`, checked and rebuilt by recount): a chart reads a year's weeks,
never a province's entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fieldkit.domain import VIETNAM_TZ
from sync_server.db.models import Entry, Unit, WeekTally


@dataclass
class Weekly:
    """Mondays of the weeks shown, and each service's count per week (same length)."""

    weeks: list[date]
    counts: dict[str, list[int]] = field(default_factory=dict)


def monday(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def week_of(assisted_at: datetime) -> str:
    """The week (its Monday, YYYY-MM-DD) an entry assisted at this moment counts in."""
    return _week_named(assisted_at.astimezone(VIETNAM_TZ).date())


@lru_cache(maxsize=1024)
def _week_named(day: date) -> str:
    """The name of a day's week (a push asks for the same few days hundreds of times)."""
    return monday(day).isoformat()


def week_sql(dialect: str) -> ColumnElement[Any]:
    """`week_of(Entry.assisted_at)` in SQL (Vietnam is UTC+7 all year: no summer time)."""
    if dialect == "postgresql":
        local = func.timezone(VIETNAM_TZ.key, Entry.assisted_at)
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    return func.date(Entry.assisted_at, "+7 hours", "-6 days", "weekday 1")


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
    index = {week.isoformat(): n for n, week in enumerate(weeks)}
    query = select(WeekTally.service, WeekTally.week, WeekTally.achieved).where(
        WeekTally.unit_code == unit.code, WeekTally.period == period, WeekTally.achieved != 0
    )
    weekly = Weekly(weeks)
    for service, week, count in session.execute(query):
        spot = index.get(week)
        if spot is None:  # assisted outside the period's calendar (a late-dated entry)
            spot = 0 if weeks and week < weeks[0].isoformat() else len(weeks) - 1
        if spot < 0:
            continue
        series = weekly.counts.setdefault(service, [0] * len(weeks))
        series[spot] += int(count)
    return weekly
