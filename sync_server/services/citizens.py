"""People, not entries: distinct citizens helped and accounts with a real transaction.

Both are kept per unit (village, commune, province) and period in `citizen_tallies`, updated
in the same transaction as every write that changes an entry's unit, citizen, period,
`counted` flag or review status (ingest, edits, review decisions); `sync-server recount`
rebuilds them from the entries and `--check` reports any drift. The rules:

- **helped**: a citizen counts once per unit and period if any of their entries there (any
  service, any outcome) is not rejected on review;
- **transacting**: a portal account (`dvc_account`) counts for the unit of the success that
  counts the citizen (the dedupe rule) when the same citizen has a counted `dvc_transaction`
  success anywhere, by anyone, in the same period. A transaction arriving later in another
  unit therefore moves the account's unit's figure.

A write calls `CitizenDeltas.touch` with the (citizen, period) pairs it is about to change,
before changing them (`touch_new` with the rows a push inserts), and `apply` once done: both
read those citizens' entries (by the citizen_key prefix of the `ux_entries_counting` index;
a push's first-time citizens from their new rows), and the difference of the two readings
goes into the kept counts. The province page, the commune page and the campaign report read
`citizens_helped` and `transacting_accounts`, so the rule lives here.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from sync_server.db.bulk import SQLITE_IN_CHUNK
from sync_server.db.models import CitizenTally, Entry, Unit

ACCOUNT = "dvc_account"
TRANSACTION = "dvc_transaction"
FIGURES = ("helped", "transacting")
"""The kept columns, in the order figure vectors use."""

CitizenPeriod = tuple[str, str]
"""(citizen_key, period): what one write touches."""
UnitPeriod = tuple[str, str]
"""(unit_code, period): one row of citizen_tallies."""
Figures = dict[UnitPeriod, tuple[int, int]]

_COLUMNS = (
    "citizen_key",
    "period",
    "village_code",
    "commune_code",
    "province_code",
    "service",
    "outcome",
    "counted",
    "review_status",
)
"""What of an entry the kept figures depend on, in the order state tuples hold it."""
_STATE = select(*(Entry.__table__.c[name] for name in _COLUMNS))
_OF_ROW = itemgetter(*_COLUMNS)


def _share(states: list[tuple[Any, ...]], into: dict[UnitPeriod, list[int]]) -> None:
    """Add one citizen's share of the kept figures in one period (from all their entries
    then, as _COLUMNS tuples) to `into`."""
    account: tuple[Any, ...] | None = None
    transaction = False
    helped: set[UnitPeriod] = set()
    for _, period, village, commune, province, service, outcome, counted, status in states:
        if status != "rejected":
            helped.update(((village, period), (commune, period), (province, period)))
        if counted and outcome == "success":
            if service == ACCOUNT:
                account = (village, commune, province, period)
            elif service == TRANSACTION:
                transaction = True
    for unit in helped:
        into.setdefault(unit, [0, 0])[0] += 1
    if account is not None and transaction:
        for code in account[:3]:
            into.setdefault((code, account[3]), [0, 0])[1] += 1


def _stored(session: Session, keys: set[CitizenPeriod]) -> dict[CitizenPeriod, list[Any]]:
    """The stored entries (as state tuples) of these citizens in these periods."""
    found: dict[CitizenPeriod, list[Any]] = {}
    citizens = sorted({citizen for citizen, _ in keys})
    connection = session.connection()
    column = Entry.__table__.c.citizen_key
    for start in range(0, len(citizens), SQLITE_IN_CHUNK):
        chunk = citizens[start : start + SQLITE_IN_CHUNK]
        for row in connection.execute(_STATE.where(column.in_(chunk))):
            key = (row[0], row[1])
            if key in keys:
                found.setdefault(key, []).append(tuple(row))
    return found


class CitizenDeltas:
    """The kept figures' change over one write: touch before changing, apply after.

    Citizens a push brings for the first time (nothing stored in that period) are not read
    back at the end: their share is worked out from their new rows (`touch_new`), unless
    something else in the same write touches them again.
    """

    def __init__(self) -> None:
        self.touched: set[CitizenPeriod] = set()
        self.before: dict[UnitPeriod, list[int]] = {}
        self.new_rows: dict[CitizenPeriod, list[dict[str, Any]]] = {}
        """Rows about to be inserted for citizens with nothing stored (`counted` set later)."""

    def _read(self, session: Session, keys: set[CitizenPeriod]) -> set[CitizenPeriod]:
        """Note the current share of keys not touched yet; returns those with nothing stored."""
        for key in keys & self.new_rows.keys():
            del self.new_rows[key]  # changed again in this write: read it back at the end
        fresh = keys - self.touched
        if not fresh:
            return set()
        session.flush()
        stored = _stored(session, fresh)
        for states in stored.values():
            _share(states, self.before)
        self.touched |= fresh
        return fresh - stored.keys()

    def touch(self, session: Session, keys: Iterable[CitizenPeriod]) -> None:
        """Read the current share of citizens about to change (those not read already)."""
        self._read(session, set(keys))

    def touch_new(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """touch() for the citizens of rows about to be inserted (dicts of entry columns)."""
        by_key: dict[CitizenPeriod, list[dict[str, Any]]] = {}
        for row in rows:
            by_key.setdefault((row["citizen_key"], row["period"]), []).append(row)
        for key in self._read(session, set(by_key)):
            self.new_rows[key] = by_key[key]

    def apply(self, session: Session) -> None:
        """Add (after − before) of every touched citizen to the kept counts."""
        if not self.touched:
            return
        session.flush()
        after: dict[UnitPeriod, list[int]] = {}
        for rows in self.new_rows.values():
            _share([_OF_ROW(row) for row in rows], after)
        for states in _stored(session, self.touched - self.new_rows.keys()).values():
            _share(states, after)
        rows = []
        for unit in sorted(set(after) | set(self.before)):
            now, was = after.get(unit, [0, 0]), self.before.get(unit, [0, 0])
            change = [now[i] - was[i] for i in range(len(FIGURES))]
            if any(change):
                figures = dict(zip(FIGURES, change, strict=True))
                rows.append({"unit_code": unit[0], "period": unit[1]} | figures)
        if rows:
            session.connection().execute(_upsert(session.get_bind().dialect.name), rows)
        self.touched.clear()
        self.before.clear()
        self.new_rows.clear()


@cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT adding to the stored counts (built once per dialect)."""
    table: Any = CitizenTally.__table__
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    columns = table.c
    return stmt.on_conflict_do_update(
        index_elements=["unit_code", "period"],
        set_={name: columns[name] + stmt.excluded[name] for name in FIGURES},
    )


def _kept(session: Session, codes: list[str], period: str) -> dict[str, tuple[int, int]]:
    """(helped, transacting) of each unit code, 0 for a unit without a row."""
    found = dict.fromkeys(codes, (0, 0))
    c = CitizenTally.__table__.c
    for start in range(0, len(codes), SQLITE_IN_CHUNK):
        query = select(c.unit_code, c.helped, c.transacting).where(
            c.unit_code.in_(codes[start : start + SQLITE_IN_CHUNK]), c.period == period
        )
        for code, helped, transacting in session.execute(query):
            found[code] = (helped, transacting)
    return found


def citizens_helped(session: Session, units: Iterable[Unit], period: str) -> dict[str, int]:
    """Distinct citizens helped in `period` for each of `units` (0 for a unit with none)."""
    kept = _kept(session, [unit.code for unit in units], period)
    return {code: figures[0] for code, figures in kept.items()}


def transacting_accounts(session: Session, units: Iterable[Unit], period: str) -> dict[str, int]:
    """Counted portal accounts whose citizen made a real transaction in `period`, per unit."""
    kept = _kept(session, [unit.code for unit in units], period)
    return {code: figures[1] for code, figures in kept.items()}


_LEVEL_COLUMNS = (Entry.village_code, Entry.commune_code, Entry.province_code)


def _counted_success(entry: Any, service: str) -> ColumnElement[bool]:
    return and_(entry.service == service, entry.outcome == "success", entry.counted.is_(True))


def recounted(session: Session) -> Figures:
    """Both figures for every unit and period, computed from the entries alone (for recount)."""
    tx = aliased(Entry)
    parts = []
    for column in _LEVEL_COLUMNS:
        parts.append(
            select(
                column.label("unit_code"),
                Entry.period,
                func.count(Entry.citizen_key.distinct()).label("helped"),
                literal(0).label("transacting"),
            )
            .where(Entry.review_status != "rejected")
            .group_by(column, Entry.period)
        )
        parts.append(
            select(
                column.label("unit_code"),
                Entry.period,
                literal(0).label("helped"),
                func.count().label("transacting"),
            )
            .where(
                _counted_success(Entry, ACCOUNT),
                exists().where(
                    tx.citizen_key == Entry.citizen_key,
                    tx.period == Entry.period,
                    _counted_success(tx, TRANSACTION),
                ),
            )
            .group_by(column, Entry.period)
        )
    every = union_all(*parts).subquery("figures")
    query = select(
        every.c.unit_code,
        every.c.period,
        func.sum(every.c.helped),
        func.sum(every.c.transacting),
    ).group_by(every.c.unit_code, every.c.period)
    out: Figures = {}
    for code, period, helped, transacting in session.execute(query):
        figures = (int(helped or 0), int(transacting or 0))
        if any(figures):
            out[(code, period)] = figures
    return out


def stored(session: Session) -> Figures:
    """The kept figures as stored (rows of zeros left out)."""
    c = CitizenTally.__table__.c
    query = select(c.unit_code, c.period, c.helped, c.transacting)
    return {
        (code, period): (helped, transacting)
        for code, period, helped, transacting in session.execute(query)
        if helped or transacting
    }


def rebuild(session: Session) -> Figures:
    """Replace the kept figures with a recount from the entries; returns what it wrote."""
    expected = recounted(session)
    session.execute(delete(CitizenTally))
    if expected:
        session.execute(
            insert(CitizenTally),
            [
                {"unit_code": k[0], "period": k[1]} | dict(zip(FIGURES, v, strict=True))
                for k, v in sorted(expected.items())
            ],
        )
    return expected
