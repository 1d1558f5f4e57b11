"""Tallies kept incrementally (one upsert per unit × service × period touched) and read cheaply."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fieldkit.domain import Outcome, wire
from fieldkit.domain.wire import QuotaGroup
from sync_server.db.bulk import add_to_counts
from sync_server.db.models import Base, Entry, Quota, Tally, Unit, WeekTally
from sync_server.services.changes import NewChange
from sync_server.services.weekly import week_of

COUNTS = ("achieved", "pending", "approved", "rejected", "youth", "non_youth")
"""The tally columns, in the order Contribution vectors use."""
LEVEL_ORDER = {"province": 0, "commune": 1, "village": 2}
PUBLISHED_LEVELS = ("village", "commune")
"""Levels whose tallies devices pull (their village and commune)."""

TallyKey = tuple[str, str, str]
"""(unit code, service, period)."""
WeekKey = tuple[str, str, str, str]
"""(unit code, service, period, week's Monday)."""
WEEK_KEY = ("unit_code", "service", "period", "week")
"""week_tallies' key columns, in WeekKey's order."""
_WEEK_TALLIES = Base.metadata.tables[WeekTally.__tablename__]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class EntryState:
    """What of an entry decides its contribution to tallies."""

    village_code: str
    commune_code: str
    province_code: str
    service: str
    period: str
    outcome: str
    review_status: str
    counted: bool
    age_group: str
    week: str = ""
    """The week it was assisted in (`weekly.week_of`); its counted share goes to that week."""

    @classmethod
    def of(cls, entry: Entry) -> EntryState:
        """The state of a stored entry."""
        return cls(
            village_code=entry.village_code,
            commune_code=entry.commune_code,
            province_code=entry.province_code,
            service=entry.service,
            period=entry.period,
            outcome=entry.outcome,
            review_status=entry.review_status,
            counted=entry.counted,
            age_group=entry.age_group,
            week=week_of(entry.assisted_at),
        )

    def uncounted(self) -> EntryState:
        """The same entry without the count."""
        return replace(self, counted=False)


def contribution(state: EntryState) -> tuple[int, ...] | None:
    """An entry's share of its tallies: counted citizens and rejected successes only."""
    if state.counted:
        youth = state.age_group == "youth"
        return (
            1,
            int(state.review_status in ("pending", "has_issues")),
            int(state.review_status == "approved"),
            0,
            int(youth),
            int(not youth),
        )
    if state.outcome == Outcome.SUCCESS and state.review_status == "rejected":
        return (0, 0, 0, 1, 0, 0)
    return None


class TallyDeltas:
    """Changes to tallies, summed in Python before one upsert per key."""

    def __init__(self) -> None:
        self.sums: dict[TallyKey, list[int]] = {}
        self.levels: dict[str, str] = {}
        self.weeks: dict[WeekKey, int] = {}

    def add(self, state: EntryState, sign: int = 1) -> None:
        """Add `sign` times (-1 removes) an entry's contribution at village, commune, province."""
        share = contribution(state)
        if share is None:
            return
        for level, unit in (
            ("village", state.village_code),
            ("commune", state.commune_code),
            ("province", state.province_code),
        ):
            self.levels[unit] = level
            key = (unit, state.service, state.period)
            current = self.sums.get(key)
            if current is None:
                current = self.sums[key] = [0] * len(COUNTS)
            for i, value in enumerate(share):
                current[i] += sign * value
            if share[0] and state.week:
                week = (unit, state.service, state.period, state.week)
                self.weeks[week] = self.weeks.get(week, 0) + sign * share[0]

    def move(self, before: EntryState | None, after: EntryState | None) -> None:
        """Account for an entry going from one state to another."""
        if before is not None:
            self.add(before, -1)
        if after is not None:
            self.add(after, 1)

    def nonzero(self) -> dict[TallyKey, list[int]]:
        """Only the keys whose counts actually change."""
        return {k: v for k, v in self.sums.items() if any(v)}


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT supporting ON CONFLICT for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT adding to the stored counts, RETURNING the new ones (built once)."""
    table: Any = Tally.__table__
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    columns = Tally.__table__.c
    return stmt.on_conflict_do_update(
        index_elements=["unit_code", "service", "period"],
        set_={name: columns[name] + stmt.excluded[name] for name in COUNTS},
    ).returning(*(columns[name] for name in ("unit_code", "service", "period", *COUNTS)))


def apply_deltas(session: Session, deltas: TallyDeltas) -> list[NewChange]:
    """Upsert the summed deltas; returns the tally changes devices should pull."""
    weeks = [(*key, n) for key, n in sorted(deltas.weeks.items()) if n]
    add_to_counts(session, _WEEK_TALLIES, WEEK_KEY, ("achieved",), weeks)
    changed = deltas.nonzero()
    if not changed:
        return []
    rows = [
        {"unit_code": k[0], "service": k[1], "period": k[2], **dict(zip(COUNTS, v, strict=True))}
        for k, v in sorted(changed.items())
    ]
    upsert = _upsert(session.get_bind().dialect.name)
    result = session.connection().execute(upsert, rows).all()
    out: list[NewChange] = []
    for row in result:
        unit = row[0]
        level = deltas.levels.get(unit, "")
        if level not in PUBLISHED_LEVELS:
            continue
        data = dict(zip(("unit_code", "service", "period", *COUNTS), row, strict=True))
        out.append(NewChange("tally", f"{row[0]}|{row[1]}|{row[2]}", unit, data))
    return out


def _unit_filter(unit_code: str | None, subtree: bool, children: bool) -> ColumnElement[bool]:
    """Which units a tally read covers: the unit, its whole subtree, or it and its children.

    A province page shows the province and its communes: reading only those (by the parent
    index) instead of the subtree skips the villages' rows, nine in ten of a province's.
    """
    if unit_code is None:
        return true() if subtree else Unit.level == "province"
    if not subtree:
        return Unit.code == unit_code
    if children:
        return or_(Unit.code == unit_code, Unit.parent_code == unit_code)
    return or_(
        Unit.code == unit_code, Unit.province_code == unit_code, Unit.commune_code == unit_code
    )


@lru_cache(maxsize=1024)
def _tally_query(
    unit_code: str | None, period: str | None, subtree: bool, children: bool = False
) -> Select[Any]:
    """One query: tallies (with their quotas) plus quotas without a tally, units joined, in order.

    Both halves start from the covered units (by index) and reach tallies and quotas by their
    primary keys, so no entry and no other province's row is read. A row carries the quota
    for everyone and those for the youth and non-youth groups.

    Kept per (unit, period, subtree, children): a statement never changes once built, and
    building it (and its cache key, which SQLAlchemy memoizes on the object) cost a commune
    page about as much as running it.
    """
    covered = _unit_filter(unit_code, subtree, children)
    t = Tally.__table__.c
    quota_table = Quota.__table__
    q = quota_table.c
    youth_quota = quota_table.alias("youth_quota")
    non_youth_quota = quota_table.alias("non_youth_quota")
    youth_q, non_youth_q = youth_quota.c, non_youth_quota.c
    rank = case(*((Unit.level == level, n) for level, n in LEVEL_ORDER.items()), else_=9)
    tally_on = [t.unit_code == Unit.code] + ([t.period == period] if period is not None else [])
    quota_on = [q.unit_code == Unit.code, q.target_group == QuotaGroup.ALL.value] + (
        [q.period == period] if period is not None else []
    )

    def same(c: Any, group: QuotaGroup, of: Any) -> ColumnElement[bool]:
        return and_(
            c.unit_code == of.unit_code,
            c.service == of.service,
            c.period == of.period,
            c.target_group == group.value,
        )

    same_quota = same(q, QuotaGroup.ALL, t)
    with_tally = (
        select(Unit.code, Unit.name, Unit.level, t.service, t.period, q.target)
        .add_columns(*(t[name] for name in COUNTS))
        .add_columns(youth_q.target, non_youth_q.target, rank.label("rank"))
        .join_from(Unit, Tally, and_(*tally_on))
        .outerjoin(Quota, same_quota)
        .outerjoin(youth_quota, same(youth_q, QuotaGroup.YOUTH, t))
        .outerjoin(non_youth_quota, same(non_youth_q, QuotaGroup.NON_YOUTH, t))
        .where(covered)
    )
    no_tally = (
        select(Unit.code, Unit.name, Unit.level, q.service, q.period, q.target)
        .add_columns(*(literal(0).label(name) for name in COUNTS))
        .add_columns(youth_q.target, non_youth_q.target, rank.label("rank"))
        .join_from(Unit, Quota, and_(*quota_on))
        .outerjoin(youth_quota, same(youth_q, QuotaGroup.YOUTH, q))
        .outerjoin(non_youth_quota, same(non_youth_q, QuotaGroup.NON_YOUTH, q))
        .where(
            covered,
            ~exists()
            .where(t.unit_code == q.unit_code, t.service == q.service, t.period == q.period)
            .correlate(Quota),
        )
    )
    both = union_all(with_tally, no_tally).subquery("rows")
    c = both.c
    return select(*(col for col in c if col.name != "rank")).order_by(
        c.rank, c.code, c.service, c.period
    )


def trusted(model: type[M], values: dict[str, Any]) -> M:
    """A model from values the server made itself (all fields given), skipping validation.

    The same as model_construct, about three times faster, for the thousands of rows a
    province's tally or a push response holds.
    """
    item = model.__new__(model)
    object.__setattr__(item, "__dict__", values)
    object.__setattr__(item, "__pydantic_fields_set__", set(values))
    object.__setattr__(item, "__pydantic_extra__", None)
    object.__setattr__(item, "__pydantic_private__", None)
    return item


_SLOTS = BaseModel.__dict__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__
_LEVELS = {level.value: level for level in wire.UnitLevel}


def read_tally(
    session: Session,
    unit_code: str | None,
    period: str | None,
    subtree: bool = True,
    children: bool = False,
) -> list[wire.TallyRow]:
    """Tallies with quotas and percentages for a unit (and its subtree), never scanning entries.

    `children=True` (with `subtree`) reads the unit and the level right below it only: what a
    province or commune page shows, without the rows of the levels it does not.

    Rows are built as `trusted` builds them, inlined: a province holds thousands of them.
    """
    model = wire.TallyRow
    new, set_dict, levels = model.__new__, object.__setattr__, _LEVELS
    fields_set = set(model.model_fields)  # shared by the rows: every row sets every field
    rows: list[wire.TallyRow] = []
    append = rows.append
    query = _tally_query(unit_code, period, subtree, children)
    collecting = gc.isenabled()
    gc.disable()  # thousands of fresh objects, none of them garbage: skip the scans
    try:
        result = session.connection().execute(query).all()
        for (
            code,
            name,
            level,
            service,
            period_,
            quota,
            achieved,
            pending,
            approved,
            rejected,
            youth,
            non_youth,
            youth_quota,
            non_youth_quota,
        ) in result:
            item = new(model)
            set_dict(
                item,
                "__dict__",
                {
                    "unit_code": code,
                    "unit_name": name,
                    "level": levels.get(level),
                    "service": service,
                    "period": period_,
                    "quota": quota,
                    "achieved": achieved,
                    "percentage": round(100.0 * achieved / quota, 1) if quota else None,
                    "pending": pending,
                    "approved": approved,
                    "rejected": rejected,
                    "youth": youth,
                    "non_youth": non_youth,
                    "youth_quota": youth_quota,
                    "non_youth_quota": non_youth_quota,
                },
            )
            _set_fields_set(item, fields_set)
            _set_extra(item, None)
            _set_private(item, None)
            append(item)
    finally:
        if collecting:
            gc.enable()
    return rows


def states_of(entries: Iterable[Entry]) -> dict[str, EntryState]:
    """States of stored entries, by id."""
    return {e.id: EntryState.of(e) for e in entries}
