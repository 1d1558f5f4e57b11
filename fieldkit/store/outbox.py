"""The outbox: what to push next and what the server's answer does to it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldkit.domain import is_masked
from fieldkit.domain.wire import ItemStatus, Mutation, PushItemResult, PushResponse
from fieldkit.store.entries import next_mutation_id, sync_state, to_row
from fieldkit.store.models import CITIZEN, EntryRecord, OutboxRow, RejectedRow
from fieldkit.store.records import EntryStatus, UnsentCounts

MESSAGE_MAX = 500


def pending_batch(session: Session, limit: int) -> list[Mutation]:
    """The oldest outbox rows, in mutation-id order."""
    stmt = select(OutboxRow).order_by(OutboxRow.mutation_id).limit(max(1, limit))
    return [
        Mutation(mutation_id=row.mutation_id, entry=row.payload, base_rev=row.base_rev)
        for row in session.scalars(stmt)
    ]


def pending_count(session: Session) -> int:
    """How many mutations wait for the server."""
    return int(session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


def unsent(session: Session) -> UnsentCounts:
    """Citizens (models.CITIZEN) and entries with a change still to send."""
    waiting = select(OutboxRow.entry_id).distinct().scalar_subquery()
    stmt = select(func.count(func.distinct(CITIZEN)), func.count()).where(
        EntryRecord.id.in_(waiting)
    )
    citizens, services = session.execute(stmt).one()
    return UnsentCounts(citizens=int(citizens), services=int(services))


def _acknowledge(
    record: EntryRecord,
    mutation_id: int,
    item: PushItemResult | None,
    still_queued: bool,
    rejected: list[RejectedRow],
    now: datetime,
) -> None:
    """Apply one item's status to its entry (its outbox row is already gone)."""
    status = item.status if item is not None else ItemStatus.ACCEPTED
    if status is ItemStatus.REJECTED:
        code = ((item.code if item else None) or "rejected")[:60]
        message = ((item.message if item else None) or code)[:MESSAGE_MAX]
        rejected.append(
            RejectedRow(
                entry_id=record.id, mutation_id=mutation_id, code=code, message=message, at=now
            )
        )
        if not still_queued:
            record.status = EntryStatus.REJECTED.value
            record.reject_code = code
            record.reject_message = message
            record.updated_at = now
        return
    if item is not None and item.rev is not None:
        record.server_rev = item.rev
    if status is ItemStatus.DUPLICATE and item is not None and item.duplicate_of is not None:
        record.duplicate_village = item.duplicate_of.village[:12]
        record.duplicate_village_name = item.duplicate_of.village_name[:200]
        at = item.duplicate_of.assisted_at
        record.duplicate_at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if still_queued:
        return
    record.status = (
        EntryStatus.DUPLICATE.value if status is ItemStatus.DUPLICATE else EntryStatus.ACKED.value
    )
    record.reject_code = None
    record.reject_message = None
    # The full number stays: it is masked after a later sync confirms the server kept the
    # entry (fieldkit.store.privacy); updated_at is the acknowledgement time that rule reads.
    record.updated_at = now


def apply_push_response(session: Session, response: PushResponse) -> int:
    """Ack every outbox row the server has durably applied; returns how many were acked."""
    items = {item.mutation_id: item for item in response.results}
    acked_rows = [
        (int(mutation_id), str(entry_id))
        for mutation_id, entry_id in session.execute(
            select(OutboxRow.mutation_id, OutboxRow.entry_id)
            .where(OutboxRow.mutation_id <= response.last_mutation_id)
            .order_by(OutboxRow.mutation_id)
        )
    ]
    if acked_rows:
        session.execute(
            delete(OutboxRow)
            .where(OutboxRow.mutation_id <= response.last_mutation_id)
            .execution_options(synchronize_session=False)
        )
        entry_ids = list({entry_id for _, entry_id in acked_rows})
        records: dict[str, EntryRecord] = {}
        queued: set[str] = set()
        for start in range(0, len(entry_ids), 500):
            chunk = entry_ids[start : start + 500]
            records.update(
                (r.id, r)
                for r in session.scalars(select(EntryRecord).where(EntryRecord.id.in_(chunk)))
            )
            queued.update(
                session.scalars(select(OutboxRow.entry_id).where(OutboxRow.entry_id.in_(chunk)))
            )
        now = datetime.now(UTC)
        rejected: list[RejectedRow] = []
        last_row_of = {entry_id: mutation_id for mutation_id, entry_id in acked_rows}
        for mutation_id, entry_id in acked_rows:
            record = records.get(entry_id)
            if record is None:
                continue
            later = entry_id in queued or last_row_of[entry_id] != mutation_id
            _acknowledge(record, mutation_id, items.get(mutation_id), later, rejected, now)
        session.add_all(rejected)
    state = sync_state(session)
    state.last_mutation_id = max(state.last_mutation_id, response.last_mutation_id)
    if state.next_mutation_id <= response.last_mutation_id:
        state.next_mutation_id = response.last_mutation_id + 1
    session.flush()
    return len(acked_rows)


def renumber_outbox(session: Session, first_id: int) -> int:
    """Renumber the outbox from first_id on (after a gap the server reported); returns count."""
    rows = list(session.scalars(select(OutboxRow).order_by(OutboxRow.mutation_id)))
    payloads = [(r.entry_id, r.payload, r.base_rev, r.created_at) for r in rows]
    session.execute(delete(OutboxRow))
    session.flush()
    state = sync_state(session)
    state.next_mutation_id = first_id
    for entry_id, payload, base_rev, created_at in payloads:
        session.add(
            OutboxRow(
                mutation_id=next_mutation_id(session),
                entry_id=entry_id,
                payload=payload,
                base_rev=base_rev,
                created_at=created_at,
            )
        )
    state.last_mutation_id = min(state.last_mutation_id, first_id - 1)
    session.flush()
    return len(payloads)


def reset_for_epoch(session: Session, epoch: str) -> int:
    """The server was restored: restart pulling from 0 and re-queue every entry still whole.

    Every entry that is not erased, not rejected, not already queued and still has its full
    number goes back into the outbox (acknowledged entries included: the restore may have
    lost them; re-sending one the server still has is harmless). Its server revision is
    forgotten, so local progress counts it again until the restored server acknowledges it.
    """
    state = sync_state(session)
    state.cursor = 0
    state.server_epoch = epoch
    state.last_mutation_id = 0
    queued = set(session.scalars(select(OutboxRow.entry_id).distinct()))
    stmt = (
        select(EntryRecord)
        .where(
            EntryRecord.erased.is_(False),
            EntryRecord.status != EntryStatus.REJECTED.value,
        )
        .order_by(EntryRecord.created_at, EntryRecord.id)
    )
    now = datetime.now(UTC)
    requeued = 0
    for record in session.scalars(stmt):
        if record.id in queued or is_masked(record.id_number):
            continue
        try:
            payload = to_row(record, shown=False).to_entry().model_dump(mode="json")
        except ValueError:
            continue
        session.add(
            OutboxRow(
                mutation_id=next_mutation_id(session),
                entry_id=record.id,
                payload=payload,
                base_rev=None,
                created_at=now,
            )
        )
        record.status = EntryStatus.PENDING.value
        record.server_rev = None
        requeued += 1
    session.flush()
    return requeued
