"""Admitting a pushed batch before the writers' lock: every check that needs no writes.

`prepare` needs no database (well-formed entries become rows); `admit` reads the units,
services and the device's team, checks each entry against them and makes its row (and, on
SQLite, its insert parameters). The push route runs both before it queues for the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fieldkit.domain import Entry, parse_entry, wire
from fieldkit.domain.problems import Problem, error
from sync_server.db.bulk import sqlite_params
from sync_server.db.models import Base, Device, Unit
from sync_server.services.entry_rows import Owner, citizen_hasher, entry_row, territory_of
from sync_server.services.well_formed import RowMaker

ENTRIES = Base.metadata.tables["entries"]
_ACTIVE_SERVICES = text("SELECT code FROM services WHERE active = :active")
ROW_COLUMNS = tuple(c.name for c in ENTRIES.columns if c.name != "counted")
"""Columns made before the writers' lock; `counted` is decided under it and goes last."""


@dataclass(slots=True)
class Checked:
    """One mutation after validation: its entry, its row and owner, or the problem."""

    mutation: wire.Mutation
    entry_id: str = ""
    entry: Entry | None = None
    row: dict[str, Any] | None = None
    """The entries row (from the fast path, `entry` is then only parsed if needed)."""
    owner: Owner | None = None
    problem: Problem | None = None
    params: tuple[Any, ...] | None = None
    """The row's ROW_COLUMNS as SQLite parameters (made outside the lock, on SQLite only)."""
    flag: Problem | None = None
    """Why a valid entry waits for review on arrival (flag_backdated, flag_late), if it does."""

    @property
    def is_edit(self) -> bool:
        """Whether the mutation edits a stored entry (an edit may keep a masked number)."""
        return self.mutation.base_rev is not None

    @property
    def keeps_number(self) -> bool:
        """Whether the entry carries a masked number: the server keeps the one it stored."""
        return self.entry is not None and self.entry.keeps_number

    def parsed(self) -> Entry:
        """The domain entry (the fast path skipped building it)."""
        if self.entry is None:
            self.entry, problems = parse_entry(self.mutation.entry, kept_number=self.is_edit)
            assert self.entry is not None, f"well-formed path disagrees: {problems}"
        return self.entry


@dataclass
class Prepared:
    """A batch after the checks that need no database, done before taking the writers' lock."""

    items: list[tuple[wire.Mutation, dict[str, Any] | None]]
    citizen_key: Callable[[str], str]
    now: datetime
    stamp_texts: dict[datetime, str]
    """Timestamps already in their SQLite text (RowMaker.stamp_texts)."""


BEFORE_ENROLLMENT = timedelta(days=2)
"""How long before its laptop's enrollment an entry may say it happened and not be flagged."""
FLAGGED = "has_issues"
"""The review status of an entry flagged on arrival: it waits in the review queue."""


def flag_backdated(checked: list[Checked], enrolled_at: datetime) -> None:
    """Flag entries dated before their laptop was enrolled (minus a margin) for review.

    The time is the laptop's word; an entry from before the laptop existed (a paper form typed
    in later, or a backdated claim) is stored and counted as usual but waits in the review
    queue with a reason, so a coordinator decides.
    """
    floor = (enrolled_at if enrolled_at.tzinfo else enrolled_at.replace(tzinfo=UTC)) - (
        BEFORE_ENROLLMENT
    )
    for c in checked:
        if c.row is not None and c.row["assisted_at"] < floor:
            c.row["review_status"] = FLAGGED
            c.flag = error("assisted_at.before_enrollment", "assisted_at")


def flag_late(checked: list[Checked], now: datetime, late_after: timedelta | None) -> None:
    """Flag new entries that reach the server more than `late_after` after their time of help.

    Like a backdated entry, it is stored and counted but waits in the review queue with a
    reason: a time far in the past is the laptop's word, and the coordinator decides. Edits
    of stored entries are not new claims and are not flagged for their age. None flags nothing
    (seeded demo data, which stands for laptops that synced the same day).
    """
    if late_after is None:
        return
    floor = now - late_after
    for c in checked:
        if c.row is None or c.is_edit or c.flag is not None or c.row["assisted_at"] >= floor:
            continue
        c.row["review_status"] = FLAGGED
        c.flag = error("assisted_at.received_late", "assisted_at", days=str(late_after.days))


PAUSE_EVERY = 50
"""Entries checked between two calls of the caller's `pause` hook."""


def prepare(
    mutations: Sequence[wire.Mutation], secret: str, pause: Callable[[], object] | None = None
) -> Prepared:
    """Turn well-formed entries into row values; the rest wait for the full validation.

    `pause` is called every PAUSE_EVERY entries: the push route waits there while a push of
    the same process holds the writers' lock, so that writer never waits for the GIL.
    """
    now = datetime.now(UTC)
    key = citizen_hasher(secret)
    maker = RowMaker(key, now)
    items: list[tuple[wire.Mutation, dict[str, Any] | None]] = []
    for start in range(0, len(mutations), PAUSE_EVERY):
        if pause is not None:
            pause()
        items.extend((m, maker.values(m.entry)) for m in mutations[start : start + PAUSE_EVERY])
    return Prepared(items, key, now, maker.stamp_texts)


@dataclass
class Admitted:
    """A batch checked against the units, services and the device's territory: rows or problems."""

    checked: list[Checked]
    citizen_key: Callable[[str], str]
    now: datetime


def admit(
    session: Session,
    device: Device,
    prepared: Prepared,
    late_after: timedelta | None = None,
) -> Admitted:
    """Check each entry's service, village and the team's right; give each valid one its row.

    This only reads (units, services, the device's team), so the push route runs it in a
    read transaction before taking the writers' lock.
    """
    items = prepared.items
    codes = (r["village"] if r is not None else m.entry.get("village") for m, r in items)
    village_codes = list({c for c in codes if isinstance(c, str) and len(c) <= 20})
    villages = session.scalars(
        select(Unit).where(Unit.code.in_(village_codes), Unit.level == "village")
    )
    services = set(session.connection().execute(_ACTIVE_SERVICES, {"active": True}).scalars())
    territory = territory_of(session, device)
    owners: dict[str, tuple[Owner | None, dict[str, Any]]] = {}
    for unit in villages:
        owner = Owner.of(device, unit) if territory.allows(unit) else None
        owners[unit.code] = (owner, owner.columns(prepared.now) if owner else {})
    key, now = prepared.citizen_key, prepared.now
    checked = [_check(m, r, owners, services, key, now) for m, r in items]
    flag_backdated(checked, device.created_at)
    flag_late(checked, now, late_after)
    if session.get_bind().dialect.name == "sqlite":
        valid = [c for c in checked if c.row is not None]
        rows = [c.row for c in valid if c.row is not None]
        for c, params in zip(
            valid, sqlite_params(ENTRIES, ROW_COLUMNS, rows, prepared.stamp_texts), strict=True
        ):
            c.params = params
    return Admitted(checked, key, now)


def _check(
    mutation: wire.Mutation,
    row: dict[str, Any] | None,
    owners: dict[str, tuple[Owner | None, dict[str, Any]]],
    services: set[str],
    key: Callable[[str], str],
    now: datetime,
) -> Checked:
    """Validate one mutation (the entry, its service, its village, the team's right); make its row.

    `owners` maps each known village to its Owner and owner columns, or to None for the
    villages that are not this device's to write.
    """
    if row is not None:
        checked = Checked(mutation, row["id"], row=row)
        service, village_code = row["service"], row["village"]
    else:
        entry, problems = parse_entry(mutation.entry, kept_number=mutation.base_rev is not None)
        if entry is None:
            return Checked(mutation, problem=problems[0] if problems else None)
        checked = Checked(mutation, str(entry.id), entry=entry)
        service, village_code = entry.service, entry.village
    if service not in services:
        return Checked(mutation, problem=error("service.unknown", "service", service=service))
    if village_code not in owners:
        return Checked(mutation, problem=error("village.unknown", "village", village=village_code))
    owner, columns = owners[village_code]
    if owner is None:
        problem = error("village.not_yours", "village", village=village_code)
        return Checked(mutation, problem=problem)
    checked.owner = owner
    if row is not None:
        del row["village"]
        row.update(columns)
    else:
        row = checked.row = entry_row(checked.parsed(), owner, key, now, checked.entry_id)
    row["mutation_id"] = mutation.mutation_id
    return checked
