"""Recount every tally and the counting assignment from raw entries, and compare (or fix)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Subquery, and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sync_server.db.models import Entry, Tally, Unit, WeekTally
from sync_server.services.changes import NewChange, lock_writers, record_changes
from sync_server.services.dedupe import COUNTING_ORDER
from sync_server.services.tally import COUNTS, PUBLISHED_LEVELS, TallyKey, WeekKey
from sync_server.services.weekly import week_sql

ELIGIBLE = and_(Entry.outcome == "success", Entry.review_status != "rejected")


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between stored state and a recount from raw entries."""

    kind: str
    """`tally` (a stored tally row), `week` (a week's count) or `counted` (which entry counts
    a citizen)."""
    key: str
    expected: str
    actual: str

    def describe(self) -> str:
        """One line for `sync-server recount --check`."""
        return f"{self.kind} {self.key}: expected {self.expected}, stored {self.actual}"


def _ranked() -> Subquery:
    """Eligible successes numbered in dedupe.COUNTING_ORDER within their dedupe group."""
    return (
        select(
            Entry.id,
            Entry.citizen_key,
            Entry.service,
            Entry.period,
            Entry.assisted_at,
            func.row_number()
            .over(
                partition_by=(Entry.citizen_key, Entry.service, Entry.period),
                order_by=COUNTING_ORDER,
            )
            .label("rn"),
        )
        .where(ELIGIBLE)
        .subquery("ranked")
    )


def _expected_tallies(session: Session, ranked: Subquery) -> dict[TallyKey, tuple[int, ...]]:
    """Tallies computed with one GROUP BY over entries, rolled up to communes and provinces."""
    r = ranked  # a Subquery
    should = r.c.rn == 1
    counted = case((should, 1), else_=0)
    youth = Entry.age_group == "youth"
    pending = Entry.review_status.in_(("pending", "has_issues"))
    query = (
        select(
            Entry.village_code,
            Entry.commune_code,
            Entry.province_code,
            Entry.service,
            Entry.period,
            func.sum(counted),
            func.sum(case((and_(should, pending), 1), else_=0)),
            func.sum(case((and_(should, Entry.review_status == "approved"), 1), else_=0)),
            func.sum(
                case(
                    (and_(Entry.outcome == "success", Entry.review_status == "rejected"), 1),
                    else_=0,
                )
            ),
            func.sum(case((and_(should, youth), 1), else_=0)),
            func.sum(case((and_(should, ~youth), 1), else_=0)),
        )
        .outerjoin(r, and_(r.c.id == Entry.id, r.c.rn == 1))
        .where(Entry.outcome == "success")
        .group_by(
            Entry.village_code,
            Entry.commune_code,
            Entry.province_code,
            Entry.service,
            Entry.period,
        )
    )
    totals: dict[TallyKey, list[int]] = {}
    for row in session.execute(query):
        values = [int(v or 0) for v in row[5:]]
        for unit in (row[0], row[1], row[2]):
            key = (unit, row[3], row[4])
            current = totals.setdefault(key, [0] * len(COUNTS))
            for i, v in enumerate(values):
                current[i] += v
    return {k: tuple(v) for k, v in totals.items() if any(v)}


def _expected_weeks(session: Session, ranked: Subquery) -> dict[WeekKey, int]:
    """Counted entries per unit (all three levels), service, period and week."""
    r = ranked
    week = week_sql(session.get_bind().dialect.name)
    query = (
        select(
            Entry.village_code,
            Entry.commune_code,
            Entry.province_code,
            Entry.service,
            Entry.period,
            week,
            func.count(),
        )
        .join(r, and_(r.c.id == Entry.id, r.c.rn == 1))
        .group_by(
            Entry.village_code,
            Entry.commune_code,
            Entry.province_code,
            Entry.service,
            Entry.period,
            week,
        )
    )
    totals: dict[WeekKey, int] = {}
    for village, commune, province, service, period, monday, count in session.execute(query):
        for unit in (village, commune, province):
            key = (unit, service, period, str(monday))
            totals[key] = totals.get(key, 0) + int(count)
    return totals


def _week_mismatches(session: Session, expected: dict[WeekKey, int]) -> list[Mismatch]:
    """Stored week counts that differ from the recount."""
    w = WeekTally.__table__.c
    stored: dict[WeekKey, int] = {
        (row[0], row[1], row[2], row[3]): int(row[4])
        for row in session.execute(select(w.unit_code, w.service, w.period, w.week, w.achieved))
    }
    return [
        Mismatch("week", "|".join(key), str(expected.get(key, 0)), str(stored.get(key, 0)))
        for key in sorted(set(expected) | set(stored))
        if expected.get(key, 0) != stored.get(key, 0)
    ]


def _counting_mismatches(session: Session, ranked: Subquery) -> list[Mismatch]:
    """Entries whose counted flag disagrees with the earliest-success rule."""
    r = ranked
    out: list[Mismatch] = []
    should_not = (
        select(Entry.id)
        .outerjoin(r, and_(r.c.id == Entry.id, r.c.rn == 1))
        .where(Entry.counted.is_(True), r.c.id.is_(None))
    )
    for entry_id in session.scalars(should_not):
        out.append(Mismatch("counted", entry_id, "not counting", "counting"))
    should = (
        select(Entry.id)
        .join(r, and_(r.c.id == Entry.id, r.c.rn == 1))
        .where(Entry.counted.is_(False))
    )
    for entry_id in session.scalars(should):
        out.append(Mismatch("counted", entry_id, "counting", "not counting"))
    return out


def _fix(
    session: Session,
    ranked: Subquery,
    expected: dict[TallyKey, tuple[int, ...]],
    weeks: dict[WeekKey, int],
) -> None:
    """Rewrite counted flags (losses first: one counting success per group), every tally and
    every week's count."""
    r = ranked
    c = r.c
    firsts = select(c.id).where(c.rn == 1)
    session.execute(
        update(Entry)
        .where(Entry.counted.is_(True), Entry.id.not_in(firsts))
        .values(counted=False)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Entry)
        .where(Entry.counted.is_(False), Entry.id.in_(firsts))
        .values(counted=True)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Tally))
    if expected:
        session.execute(
            insert(Tally),
            [
                {"unit_code": k[0], "service": k[1], "period": k[2]}
                | dict(zip(COUNTS, v, strict=True))
                for k, v in sorted(expected.items())
            ],
        )
    session.execute(delete(WeekTally))
    if weeks:
        session.execute(
            insert(WeekTally),
            [
                {"unit_code": k[0], "service": k[1], "period": k[2], "week": k[3], "achieved": n}
                for k, n in sorted(weeks.items())
            ],
        )
    session.expire_all()


def recount(session: Session, fix: bool = False) -> list[Mismatch]:
    """Compare stored counts with a recount from raw entries; with fix, make them agree."""
    lock_writers(session)
    ranked = _ranked()
    mismatches = _counting_mismatches(session, ranked)
    expected = _expected_tallies(session, ranked)
    t = Tally.__table__.c
    stored: dict[TallyKey, tuple[int, ...]] = {
        (row[0], row[1], row[2]): tuple(int(v) for v in row[3:])
        for row in session.execute(
            select(t.unit_code, t.service, t.period, *(t[name] for name in COUNTS))
        )
    }
    zero = (0,) * len(COUNTS)
    for key in sorted(set(expected) | set(stored)):
        want, have = expected.get(key, zero), stored.get(key, zero)
        if want != have:
            mismatches.append(
                Mismatch(
                    "tally",
                    "|".join(key),
                    str(dict(zip(COUNTS, want, strict=True))),
                    str(dict(zip(COUNTS, have, strict=True))),
                )
            )
    weeks = _expected_weeks(session, ranked)
    mismatches.extend(_week_mismatches(session, weeks))
    if fix and mismatches:
        _fix(session, ranked, expected, weeks)
        changed = {
            key for key in set(expected) | set(stored) if expected.get(key) != stored.get(key)
        }
        _publish(session, changed, expected)
    return mismatches


def _publish(
    session: Session, changed: set[TallyKey], expected: dict[TallyKey, tuple[int, ...]]
) -> None:
    """Tell devices about village and commune tallies the fix rewrote."""
    if not changed:
        return
    codes = sorted({key[0] for key in changed})
    query = select(Unit.code, Unit.level).where(Unit.code.in_(codes))
    levels = {code: level for code, level in session.execute(query)}
    zero = (0,) * len(COUNTS)
    out = [
        NewChange(
            "tally",
            "|".join(key),
            key[0],
            {"unit_code": key[0], "service": key[1], "period": key[2]}
            | dict(zip(COUNTS, expected.get(key, zero), strict=True)),
        )
        for key in sorted(changed)
        if levels.get(key[0]) in PUBLISHED_LEVELS
    ]
    record_changes(session, out)
