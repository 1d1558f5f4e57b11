"""Which entry counts a citizen: the first non-rejected success the server received.

The rule, one place for ingest, review and `sync-server recount`: in each group (citizen,
service, period) the eligible success with the smallest (received_at, assisted_at, id) counts.
`received_at` is the server's clock, so no laptop can move a credit that already counts for
one unit to another by claiming an earlier `assisted_at`: a later push with an earlier time is
stored as a duplicate and *disputed* (GET /entries?disputed=true shows it to the coordinators
of both sides); a reviewer who rejects the counting entry hands the credit to the next one.
Within one push, and between entries received in the same instant, the earlier `assisted_at`
counts. An edit that moves an entry into another group is received anew.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from fieldkit.domain import VIETNAM_TZ, Outcome, wire
from fieldkit.domain.formatting import format_date
from fieldkit.domain.problems import MESSAGES
from sync_server.db.bulk import rows_where_in
from sync_server.db.models import Base, Entry, Unit
from sync_server.services.changes import NewChange
from sync_server.services.tally import EntryState, TallyDeltas

GroupKey = tuple[str, str, str]
"""(citizen_key, service, period): one citizen counted at most once per group."""
CHUNK = 500
_ENTRIES = Base.metadata.tables[Entry.__tablename__]
_HOLDER_COLUMNS = ("citizen_key", "service", "period", "id")


def group_of(entry: Entry) -> GroupKey:
    """The dedupe group of a stored entry."""
    return (entry.citizen_key, entry.service, entry.period)


def eligible(outcome: str, review_status: str) -> bool:
    """Whether an entry may count its citizen."""
    return outcome == Outcome.SUCCESS and review_status != "rejected"


COUNTING_ORDER = (Entry.received_at, Entry.assisted_at, Entry.id)
"""The order in which a group's eligible successes claim its count (the first one counts)."""


def counting_order(received_at: datetime, assisted_at: datetime, entry_id: str) -> tuple[Any, ...]:
    """COUNTING_ORDER of one entry, for comparing in Python (aware datetimes)."""
    return (received_at, assisted_at, entry_id)


def disputed() -> ColumnElement[bool]:
    """Successes in a dispute: an uncounted one that claims an earlier time than the entry of
    another village counting its citizen, and that counting entry."""
    other = aliased(Entry)
    same_group = and_(
        other.citizen_key == Entry.citizen_key,
        other.service == Entry.service,
        other.period == Entry.period,
        other.outcome == Outcome.SUCCESS.value,
        other.village_code != Entry.village_code,
    )
    challenger = and_(
        Entry.counted.is_(False),
        Entry.review_status != "rejected",
        exists().where(same_group, other.counted.is_(True), other.assisted_at > Entry.assisted_at),
    )
    challenged = and_(
        Entry.counted.is_(True),
        exists().where(
            same_group,
            other.counted.is_(False),
            other.review_status != "rejected",
            other.assisted_at < Entry.assisted_at,
        ),
    )
    return and_(Entry.outcome == Outcome.SUCCESS.value, or_(challenger, challenged))


@dataclass(frozen=True)
class CountingEntry:
    """Where a citizen is counted, for telling a device its entry is a duplicate.

    A volunteer of the same commune learns the village and day; one of another commune only
    that the citizen is already counted and since which day (no entry id, village or time),
    so a duplicate answer cannot be used to find where, and when, a citizen was helped.
    """

    entry_id: str
    village_code: str
    village_name: str
    assisted_at: datetime
    received_at: datetime
    commune_code: str = ""

    def shown_to(self, commune: str | None) -> bool:
        """Whether a volunteer of `commune` may see this entry's village and day."""
        return bool(commune) and commune == self.commune_code

    @cached_property
    def wire_form(self) -> wire.DuplicateOf:
        """The wire form (made once per holder, however many duplicates point at it)."""
        return wire.DuplicateOf(
            entry_id=uuid.UUID(self.entry_id),
            village=self.village_code,
            village_name=self.village_name,
            assisted_at=self.assisted_at,
        )

    @cached_property
    def counted_since(self) -> datetime:
        """The day it was counted (midnight in Vietnam), without the time."""
        local = self.assisted_at.astimezone(VIETNAM_TZ)
        return datetime.combine(local.date(), time(0), tzinfo=VIETNAM_TZ)

    @cached_property
    def date_only_form(self) -> wire.DuplicateOf:
        """The wire form for another commune: no entry id, no village, only the day."""
        return wire.DuplicateOf(village="", assisted_at=self.counted_since)

    def duplicate_of(self, commune: str | None = None) -> wire.DuplicateOf:
        """The wire form for a volunteer of `commune` (None: of another commune)."""
        return self.wire_form if self.shown_to(commune) else self.date_only_form

    @cached_property
    def message_vi(self) -> str:
        """The Vietnamese message for the same commune, made once."""
        return self.message("vi", self.commune_code)

    @cached_property
    def message_vi_elsewhere(self) -> str:
        """The Vietnamese message for another commune, made once."""
        return self.message("vi")

    def message_for(self, commune: str | None) -> str:
        """The Vietnamese message for a volunteer of `commune`."""
        return self.message_vi if self.shown_to(commune) else self.message_vi_elsewhere

    def message(self, lang: str = "vi", commune: str | None = None) -> str:
        """'Already counted in <village> on <date>' (same commune) or 'since <date>'."""
        date = format_date(self.assisted_at)
        if not self.shown_to(commune):
            vi, en = MESSAGES["entry.duplicate_elsewhere"]
            return (en if lang == "en" else vi).format(date=date)
        vi, en = MESSAGES["entry.duplicate"]
        template = en if lang == "en" else vi
        return template.format(village=self.village_name or self.village_code, date=date)


CountingId = tuple[str, str, str, str]
"""(citizen_key, service, period, entry id) of a counting success."""
_COUNTING_SQL = "outcome = 'success' AND counted"
"""is_counting() in SQL."""


def is_counting(outcome: str, counted: Any) -> bool:
    """Whether a stored entry is the one counting its group (what the counting index keeps
    unique): a success with `counted` set (a driver's 0/1 or a boolean)."""
    return outcome == "success" and bool(counted)


def _counting_ids(session: Session, citizens: list[str]) -> list[CountingId]:
    """(citizen_key, service, period, entry id) of the counting successes of these citizens.

    By the counting index's citizen_key prefix, as driver SQL (rows_where_in): a push asks
    this for every citizen it brings, and almost always finds nothing.
    """
    return rows_where_in(session, _ENTRIES, _HOLDER_COLUMNS, "citizen_key", citizens, _COUNTING_SQL)


def counting_entries(
    session: Session, keys: set[GroupKey], counting: list[CountingId] | None = None
) -> dict[GroupKey, CountingEntry]:
    """The entry counting each group, with its village, for the groups that have one.

    `counting`: the counting successes of these groups' citizens in their periods, when the
    caller has just read them (a push: CitizenDeltas.touch_new); otherwise they are read here.
    """
    if not keys:
        return {}
    if counting is None:
        counting = _counting_ids(session, sorted({key[0] for key in keys}))
    holders = {r[3]: (r[0], r[1], r[2]) for r in counting if (r[0], r[1], r[2]) in keys}
    found: dict[GroupKey, CountingEntry] = {}
    ids = sorted(holders)
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Entry.id, Entry.village_code, Unit.name, Entry.assisted_at, Entry.received_at)
            .add_columns(Entry.commune_code)
            .outerjoin(Unit, Unit.code == Entry.village_code)
            .where(Entry.id.in_(ids[start : start + CHUNK]))
        ).all()
        for r in rows:
            found[holders[r[0]]] = CountingEntry(r[0], r[1], r[2] or "", r[3], r[4], r[5])
    return found


def status_change(
    entry_id: str,
    device_id: str,
    counted: bool,
    counting: CountingEntry | None,
    commune: str | None = None,
) -> NewChange:
    """Tell an entry's device (of `commune`) whether it counts, or where and since when."""
    duplicate = not counted and counting is not None and counting.entry_id != entry_id
    data: dict[str, Any] = {
        "entry_id": entry_id,
        "status": "duplicate" if duplicate else "accepted",
        "counted": counted,
        "duplicate_of": None,
        "message": None,
    }
    if duplicate and counting is not None:
        data["duplicate_of"] = counting.duplicate_of(commune).model_dump(mode="json")
        data["message"] = counting.message_for(commune)
    return NewChange("entry_status", entry_id, device_id, data)


def entry_status_change(entry: Entry, counting: CountingEntry | None) -> NewChange:
    """status_change() for a loaded entry."""
    return status_change(entry.id, entry.device_id, entry.counted, counting, entry.commune_code)


@dataclass
class Settlement:
    """The result of re-deciding who counts in some groups."""

    gained: list[Entry]
    lost: list[Entry]


def _in_group(key: GroupKey) -> tuple[ColumnElement[bool], ...]:
    """The successes of one dedupe group (what the counting index covers)."""
    citizen, service, period = key
    return (
        Entry.citizen_key == citizen,
        Entry.service == service,
        Entry.period == period,
        Entry.outcome == Outcome.SUCCESS.value,
    )


def _first_eligible(session: Session, key: GroupKey) -> Entry | None:
    """The group's first non-rejected success in COUNTING_ORDER."""
    return session.scalars(
        select(Entry)
        .where(*_in_group(key), Entry.review_status != "rejected")
        .order_by(*COUNTING_ORDER)
        .limit(1)
    ).first()


def _holder(session: Session, key: GroupKey) -> Entry | None:
    """The entry that counts the group now, if one does."""
    return session.scalars(select(Entry).where(*_in_group(key), Entry.counted.is_(True))).first()


def _count(entry: Entry, counted: bool, deltas: TallyDeltas) -> None:
    """Set an entry's counted flag, moving its tally contribution along."""
    deltas.move(EntryState.of(entry), None)
    entry.counted = counted
    deltas.move(None, EntryState.of(entry))


def settle(session: Session, keys: set[GroupKey], deltas: TallyDeltas) -> Settlement:
    """Make each group's first eligible success (COUNTING_ORDER) the counting one; tallies follow.

    Losses are written before gains (the counting index allows one counted success per
    group at any moment), so an entry that moved from one group to another (an edit) ends
    up counted if it wins its new group.
    """
    settlement = Settlement([], [])
    decisions = [(_holder(session, key), _first_eligible(session, key)) for key in sorted(keys)]
    winners = {winner.id for _, winner in decisions if winner is not None}
    for holder, _ in decisions:
        if holder is not None and holder.id not in winners:
            _count(holder, False, deltas)
            settlement.lost.append(holder)
    session.flush()
    for _, winner in decisions:
        if winner is not None and not winner.counted:
            _count(winner, True, deltas)
            settlement.gained.append(winner)
    session.flush()
    return settlement
