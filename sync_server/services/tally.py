"""Tallies kept incrementally (one upsert per unit × service × period touched) and read cheaply."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fieldkit.domain import Outcome, wire
from sync_server.db.models import Entry, Quota, Tally, Unit
from sync_server.services.changes import NewChange

COUNTS = ("achieved", "pending", "approved", "rejected", "youth", "non_youth")
"""The tally columns, in the order Contribution vectors use."""
LEVEL_ORDER = {"province": 0, "commune": 1, "village": 2}
PUBLISHED_LEVELS = ("village", "commune")
"""Levels whose tallies devices pull (their village and commune)."""

TallyKey = tuple[str, str, str]
"""(unit code, service, period)."""


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


def apply_deltas(session: Session, deltas: TallyDeltas) -> list[NewChange]:
    """Upsert the summed deltas; returns the tally changes devices should pull."""
    changed = deltas.nonzero()
    if not changed:
        return []
    rows = [
        {"unit_code": k[0], "service": k[1], "period": k[2], **dict(zip(COUNTS, v, strict=True))}
        for k, v in sorted(changed.items())
    ]
    stmt = dialect_insert(session, Tally.__table__)
    columns = Tally.__table__.c
    upsert = stmt.on_conflict_do_update(
        index_elements=["unit_code", "service", "period"],
        set_={name: columns[name] + stmt.excluded[name] for name in COUNTS},
    ).returning(*(columns[name] for name in ("unit_code", "service", "period", *COUNTS)))
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


def _units(session: Session, unit_code: str | None, subtree: bool) -> dict[str, Unit]:
    """The units a tally read covers, by code."""
    query = select(Unit)
    if unit_code is None:
        if not subtree:
            query = query.where(Unit.level == "province")
    elif subtree:
        query = query.where(
            or_(
                Unit.code == unit_code,
                Unit.province_code == unit_code,
                Unit.commune_code == unit_code,
            )
        )
    else:
        query = query.where(Unit.code == unit_code)
    return {u.code: u for u in session.scalars(query)}


def read_tally(
    session: Session, unit_code: str | None, period: str | None, subtree: bool = True
) -> list[wire.TallyRow]:
    """Tallies with quotas and percentages for a unit (and its subtree), never scanning entries."""
    units = _units(session, unit_code, subtree)
    if not units:
        return []
    codes = list(units)
    filters_t: list[ColumnElement[bool]] = [Tally.unit_code.in_(codes)]
    filters_q: list[ColumnElement[bool]] = [Quota.unit_code.in_(codes)]
    if period is not None:
        filters_t.append(Tally.period == period)
        filters_q.append(Quota.period == period)
    t = Tally.__table__.c
    counts: dict[TallyKey, tuple[int, ...]] = {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in session.execute(
            select(t.unit_code, t.service, t.period, *(t[name] for name in COUNTS)).where(
                *filters_t
            )
        )
    }
    quotas: dict[TallyKey, int] = {
        (r[0], r[1], r[2]): r[3]
        for r in session.execute(
            select(Quota.unit_code, Quota.service, Quota.period, Quota.target).where(*filters_q)
        )
    }
    rows: list[wire.TallyRow] = []
    zero = (0,) * len(COUNTS)
    for key in set(counts) | set(quotas):
        unit = units[key[0]]
        values = counts.get(key, zero)
        quota = quotas.get(key)
        achieved = values[0]
        rows.append(
            wire.TallyRow.model_construct(
                unit_code=key[0],
                unit_name=unit.name,
                level=wire.UnitLevel(unit.level),
                service=key[1],
                period=key[2],
                quota=quota,
                achieved=achieved,
                percentage=round(100.0 * achieved / quota, 1) if quota else None,
                pending=values[1],
                approved=values[2],
                rejected=values[3],
                youth=values[4],
                non_youth=values[5],
            )
        )
    rows.sort(key=lambda r: (LEVEL_ORDER.get(str(r.level), 9), r.unit_code, r.service, r.period))
    return rows


def states_of(entries: Iterable[Entry]) -> dict[str, EntryState]:
    """States of stored entries, by id."""
    return {e.id: EntryState.of(e) for e in entries}
