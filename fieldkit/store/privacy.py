"""When personal data leaves the laptop: display masking, confirmed masking, retention erase.

The full identity number of an entry stays on the laptop after the server acknowledged it, so
that a server restored from an older backup (sync rule 7, docs/architecture.md) can be sent
the entry again. It is masked only once a *later* sync, at least a grace period after the
acknowledgement, found the server in the same epoch: by then the server had kept the entry
long enough for Litestream to ship it (it lags about a second), so a restore brings it back.
The acknowledgement time is the entry's `updated_at`, which `_acknowledge` sets (a later
pulled status only moves it later, which delays masking, never hastens it).

Until then the number is still *shown* masked: lists, the TUI and `fieldkit list` read rows
through `shown_id_number`, so an acknowledged entry looks, and is as uneditable, as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, case, delete, func, literal, select, update
from sqlalchemy.orm import Session

from fieldkit.domain import is_masked, mask_id_number
from fieldkit.domain.identity import MASK, MASK_KEEPS
from fieldkit.store.models import ConflictRow, EntryRecord, OutboxRow
from fieldkit.store.records import EntryStatus

ACKNOWLEDGED = (EntryStatus.ACKED.value, EntryStatus.DUPLICATE.value)
"""Statuses of entries the server has: their numbers are shown masked."""
CHUNK = 500


def shown_id_number(status: str, id_number: str) -> str:
    """The number as lists show it: masked once the server acknowledged the entry."""
    if status in ACKNOWLEDGED and not is_masked(id_number):
        return mask_id_number(id_number)
    return id_number


def shown_id_number_sql() -> ColumnElement[str]:
    """shown_id_number as SQL, so a search by digits finds only what the list shows."""
    number = EntryRecord.id_number
    tail = func.substr(number, 13 - MASK_KEEPS, MASK_KEEPS, type_=String)
    masked = literal(MASK * (12 - MASK_KEEPS), String).concat(tail)  # as mask_id_number
    hidden = EntryRecord.status.in_(ACKNOWLEDGED) & ~number.contains(MASK, autoescape=True)
    return case(
        (hidden & (func.length(number) == 12), masked),
        (hidden, MASK * 12),  # as mask_id_number does
        else_=number,
    )


def mask_acknowledged(session: Session, acked_before: datetime) -> int:
    """Mask the full numbers of entries acknowledged before `acked_before`; returns how many.

    The sync engine calls this (in its own transaction) at the end of a sync whose pull found
    the server in the epoch the laptop knew, with `acked_before` = the earlier of that sync's
    start and the moment of that pull minus the grace period. An entry waiting in the outbox
    again (re-queued for a restored server, or edited) keeps its number.
    """
    stmt = select(EntryRecord.id, EntryRecord.id_number).where(
        EntryRecord.status.in_(ACKNOWLEDGED),
        EntryRecord.erased.is_(False),
        EntryRecord.updated_at < acked_before,
        ~EntryRecord.id_number.contains(MASK, autoescape=True),
        EntryRecord.id.not_in(select(OutboxRow.entry_id)),
    )
    rows = [{"id": i, "id_number": mask_id_number(n)} for i, n in session.execute(stmt)]
    for start in range(0, len(rows), CHUNK):
        session.execute(update(EntryRecord), rows[start : start + CHUNK])
    return len(rows)


def erase_expired(session: Session, retention_days: int, now: datetime | None = None) -> int:
    """Erase personal data of acknowledged entries older than the retention period.

    Only entries whose number is already masked: a later sync confirmed the server kept them
    (mask_acknowledged). An entry typed late from an old paper form is past the retention
    period the moment it is acknowledged; erasing it then would leave nothing to send again
    if that acknowledgement were lost by a restore of the server.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    expired = select(EntryRecord.id).where(
        EntryRecord.status.in_(ACKNOWLEDGED),
        EntryRecord.assisted_at < cutoff,
        EntryRecord.erased.is_(False),
        EntryRecord.id_number.contains(MASK, autoescape=True),
    )
    ids = list(session.scalars(expired))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(
            update(EntryRecord)
            .where(EntryRecord.id.in_(chunk))
            .values(
                full_name="",
                search="",
                id_number=MASK * 12,
                id_key=None,
                phone=None,
                note="",
                erased=True,
                updated_at=datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(ConflictRow)
            .where(ConflictRow.entry_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def _shortened(value: Any) -> Any:
    """A masked number in the form mask_id_number gives today (older versions kept 6 digits)."""
    if isinstance(value, str) and is_masked(value) and len(value) == 12:
        return MASK * (12 - MASK_KEEPS) + value[-MASK_KEEPS:]
    return value


def shorten_masks(session: Session) -> int:
    """Rewrite masks stored by older versions (first 3 and last 3 digits) to the last 3 only.

    Entries, and the id_number of the entry versions kept in conflicts; returns how many
    entries changed. Runs once, when the store upgrades from a schema before version 2.
    """
    rows = [
        {"id": i, "id_number": _shortened(n)}
        for i, n in session.execute(
            select(EntryRecord.id, EntryRecord.id_number).where(
                EntryRecord.id_number.contains(MASK, autoescape=True)
            )
        )
        if _shortened(n) != n
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(update(EntryRecord), rows[start : start + CHUNK])
    for conflict in session.scalars(select(ConflictRow)):
        number = conflict.data.get("id_number")
        if _shortened(number) != number:
            conflict.data = conflict.data | {"id_number": _shortened(number)}
    return len(rows)


OVERDUE_AFTER_GRACE = timedelta(days=7)
"""How long past the grace period an acknowledged full number may wait for the sync that
confirms it (mask_acknowledged): a laptop that never syncs again (lost, revoked, retired)
masks it at its next start instead of keeping it for ever. A server restored from a backup
more than a week old can no longer be sent those numbers again, which is the price."""


def _forget_numbers(session: Session, ids: list[str], drop_key: bool) -> int:
    """Mask the full numbers of these entries wherever the laptop keeps them (entry, outbox,
    kept conflicts); with `drop_key` also the keyed hash that finds the citizen again."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = session.execute(
            select(EntryRecord.id, EntryRecord.id_number).where(EntryRecord.id.in_(chunk))
        ).all()
        values: list[dict[str, str | None]] = [
            {"id": i, "id_number": mask_id_number(n) if not is_masked(n) else n}
            | ({"id_key": None} if drop_key else {})
            for i, n in rows
            if drop_key or not is_masked(n)
        ]
        if values:
            session.execute(update(EntryRecord), values)
        for outbox in session.scalars(select(OutboxRow).where(OutboxRow.entry_id.in_(chunk))):
            number = outbox.payload.get("id_number")
            if isinstance(number, str) and not is_masked(number):
                outbox.payload = outbox.payload | {"id_number": mask_id_number(number)}
        for conflict in session.scalars(select(ConflictRow).where(ConflictRow.entry_id.in_(chunk))):
            number = conflict.data.get("id_number")
            if isinstance(number, str) and not is_masked(number):
                conflict.data = conflict.data | {"id_number": mask_id_number(number)}
    session.flush()
    return len(ids)


def _full(stmt: Any) -> Any:
    return stmt.where(
        EntryRecord.erased.is_(False), ~EntryRecord.id_number.contains(MASK, autoescape=True)
    )


def forget_revoked(session: Session) -> int:
    """The server revoked this laptop's token: mask every full number it still holds.

    None of them can reach the server any more (a revoked device's pushes and bundles are
    refused), so keeping them would only keep them for whoever holds the laptop.
    """
    ids = list(session.scalars(_full(select(EntryRecord.id))))
    return _forget_numbers(session, ids, drop_key=True)


def mask_overdue(
    session: Session, mask_after: timedelta, retention_days: int, now: datetime | None = None
) -> int:
    """Mask full numbers kept past their limit whatever the sync state; returns how many.

    Acknowledged entries whose confirming sync is OVERDUE_AFTER_GRACE past the grace period,
    and any entry kept on this laptop longer than the retention period (even one never sent:
    the limit is the law's, not the sync's).
    """
    moment = now or datetime.now(UTC)
    acked_before = moment - mask_after - OVERDUE_AFTER_GRACE
    kept_since = moment - timedelta(days=retention_days)
    overdue = _full(select(EntryRecord.id)).where(
        (
            EntryRecord.status.in_(ACKNOWLEDGED)
            & (EntryRecord.updated_at < acked_before)
            & EntryRecord.id.not_in(select(OutboxRow.entry_id))
        )
        | (EntryRecord.created_at < kept_since)
    )
    return _forget_numbers(session, list(session.scalars(overdue)), drop_key=False)
