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

from collections import Counter
from collections.abc import Iterable
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
from sqlalchemy.orm import Session, aliased

from sync_server.db.bulk import SQLITE_IN_CHUNK, add_to_counts, rows_where_in
from sync_server.db.models import Base, CitizenTally, Entry, Unit
from sync_server.services.dedupe import CountingId, is_counting

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
    "id",
)
"""What of an entry the kept figures depend on (and its id), in the order state tuples hold it."""
_ENTRIES = Base.metadata.tables[Entry.__tablename__]
_OF_ROW = itemgetter(*_COLUMNS)
_CITIZEN_PERIOD = itemgetter("citizen_key", "period")
_CITIZEN_TALLIES = Base.metadata.tables[CitizenTally.__tablename__]


class Shares:
    """Summed shares of the kept figures by unit and period: helped, transacting."""

    def __init__(self) -> None:
        self.helped: Counter[UnitPeriod] = Counter()
        self.transacting: Counter[UnitPeriod] = Counter()

    def add(self, states: list[tuple[Any, ...]]) -> None:
        """Add one citizen's share in one period (from all their entries then, as _COLUMNS
        tuples)."""
        account: tuple[Any, ...] | None = None
        transaction = False
        helped: set[UnitPeriod] = set()
        for _, period, village, commune, province, service, outcome, counted, status, _ in states:
            if status != "rejected":
                helped.update(((village, period), (commune, period), (province, period)))
            if is_counting(outcome, counted):
                if service == ACCOUNT:
                    account = (village, commune, province, period)
                elif service == TRANSACTION:
                    transaction = True
        self.helped.update(helped)
        if account is not None and transaction:
            self.transacting.update((code, account[3]) for code in account[:3])

    def add_first_rows(self, rows_by_citizen: Iterable[list[dict[str, Any]]]) -> None:
        """add() for citizens with nothing stored, from the rows a push inserts for them.

        A citizen with one new row, not rejected (new entries await review), is helped once
        in its village, commune and province and cannot be a transacting account (that takes
        two entries): those are summed in one pass here; any other citizen goes through
        add(). Tests check both ways agree.
        """
        helped: list[UnitPeriod] = []
        for rows in rows_by_citizen:
            if len(rows) != 1:
                self.add([_OF_ROW(row) for row in rows])
                continue
            row = rows[0]
            if row["review_status"] != "rejected":
                period = row["period"]
                helped += (
                    (row["village_code"], period),
                    (row["commune_code"], period),
                    (row["province_code"], period),
                )
        self.helped.update(helped)

    def figures(self, unit: UnitPeriod) -> tuple[int, int]:
        """(helped, transacting) summed for one unit and period."""
        return self.helped[unit], self.transacting[unit]

    def units(self) -> set[UnitPeriod]:
        """Every unit and period with a share."""
        return set(self.helped) | set(self.transacting)


def _stored(session: Session, keys: set[CitizenPeriod]) -> dict[CitizenPeriod, list[Any]]:
    """The stored entries (as state tuples) of these citizens in these periods."""
    found: dict[CitizenPeriod, list[Any]] = {}
    citizens = sorted({citizen for citizen, _ in keys})
    for row in rows_where_in(session, _ENTRIES, _COLUMNS, "citizen_key", citizens):
        key = (row[0], row[1])
        if key in keys:
            found.setdefault(key, []).append(row)
    return found


class CitizenDeltas:
    """The kept figures' change over one write: touch before changing, apply after.

    Citizens a push brings for the first time (nothing stored in that period) are not read
    back at the end: their share is worked out from their new rows (`touch_new`), unless
    something else in the same write touches them again.
    """

    def __init__(self) -> None:
        self.touched: set[CitizenPeriod] = set()
        self.before = Shares()
        self.new_rows: dict[CitizenPeriod, list[dict[str, Any]]] = {}
        """Rows about to be inserted for citizens with nothing stored (`counted` set later)."""

    def _read(
        self, session: Session, keys: set[CitizenPeriod]
    ) -> tuple[set[CitizenPeriod], dict[CitizenPeriod, list[Any]]]:
        """Note the current share of keys not touched yet; returns those with nothing stored,
        and the stored entries it read."""
        for key in keys & self.new_rows.keys():
            del self.new_rows[key]  # changed again in this write: read it back at the end
        fresh = keys - self.touched
        if not fresh:
            return set(), {}
        session.flush()
        stored = _stored(session, fresh)
        for states in stored.values():
            self.before.add(states)
        self.touched |= fresh
        return fresh - stored.keys(), stored

    def touch(self, session: Session, keys: Iterable[CitizenPeriod]) -> None:
        """Read the current share of citizens about to change (those not read already)."""
        self._read(session, set(keys))

    def touch_new(self, session: Session, rows: list[dict[str, Any]]) -> list[CountingId] | None:
        """touch() for the citizens of rows about to be inserted (dicts of entry columns).

        Returns the counting successes among those citizens' stored entries in those periods,
        read by the same query (dedupe.counting_entries takes them instead of asking the same
        index again), or None when this write had already read some of them.
        """
        by_key: dict[CitizenPeriod, list[dict[str, Any]]] = {}
        for row in rows:
            key = _CITIZEN_PERIOD(row)
            held = by_key.get(key)
            if held is None:
                by_key[key] = [row]
            else:
                held.append(row)
        complete = self.touched.isdisjoint(by_key)
        nothing_stored, stored = self._read(session, set(by_key))
        for key in nothing_stored:
            self.new_rows[key] = by_key[key]
        if not complete:
            return None
        return [
            (s[0], s[5], s[1], s[9])
            for states in stored.values()
            for s in states
            if is_counting(s[6], s[7])
        ]

    def apply(self, session: Session) -> None:
        """Add (after − before) of every touched citizen to the kept counts."""
        if not self.touched:
            return
        session.flush()
        after = Shares()
        after.add_first_rows(self.new_rows.values())
        for states in _stored(session, self.touched - self.new_rows.keys()).values():
            after.add(states)
        rows = []
        for unit in sorted(after.units() | self.before.units()):
            now, was = after.figures(unit), self.before.figures(unit)
            change = (now[0] - was[0], now[1] - was[1])
            if any(change):
                rows.append((*unit, *change))
        add_to_counts(session, _CITIZEN_TALLIES, ("unit_code", "period"), FIGURES, rows)
        self.touched.clear()
        self.before = Shares()
        self.new_rows.clear()


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
