"""Pulled state: reviews, entry statuses, quotas, tallies, catalogue and villages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import DEFAULT_SERVICES, ServiceInfo, mask_id_number
from fieldkit.domain.wire import (
    Change,
    ChangeKind,
    PullResponse,
    QuotaRead,
    TallyRow,
    VillageInfo,
)
from fieldkit.store.entries import sync_state
from fieldkit.store.models import (
    ConflictRow,
    EntryRecord,
    OutboxRow,
    PulledRow,
    RejectedRow,
)
from fieldkit.store.privacy import ACKNOWLEDGED
from fieldkit.store.records import EntryStatus

_SERVER_STATUS = {
    "accepted": EntryStatus.ACKED,
    "acked": EntryStatus.ACKED,
    "duplicate": EntryStatus.DUPLICATE,
    "rejected": EntryStatus.REJECTED,
}
_ENTRY_KINDS = {ChangeKind.REVIEW.value, ChangeKind.ENTRY_STATUS.value}


def _aware(value: Any) -> datetime | None:
    """Parse a pulled timestamp leniently (None if it is not one)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None


def _has_pending(session: Session, entry_id: str) -> bool:
    stmt = select(OutboxRow.mutation_id).where(OutboxRow.entry_id == entry_id).limit(1)
    return session.scalar(stmt) is not None


def _remember(session: Session, change: Change) -> None:
    """Keep the latest value of one pulled thing."""
    kind = str(change.kind)
    row = session.get(PulledRow, (kind, change.key[:200]))
    if row is None:
        session.add(PulledRow(kind=kind, key=change.key[:200], seq=change.seq, data=change.data))
    elif row.seq <= change.seq:
        row.seq = change.seq
        row.data = change.data


def _apply_review(record: EntryRecord, data: dict[str, Any]) -> None:
    record.review_decision = _text(data.get("decision"), 20)
    record.review_reason = _text(data.get("reason"), 500)
    record.review_at = _aware(data.get("at"))


def _apply_entry_status(session: Session, record: EntryRecord, data: dict[str, Any]) -> None:
    status = _SERVER_STATUS.get(str(data.get("status", "")))
    now = datetime.now(UTC)
    if isinstance(data.get("rev"), int):
        record.server_rev = data["rev"]
    if status is None:
        return
    if status is EntryStatus.REJECTED and record.status in ACKNOWLEDGED and not record.erased:
        # It was shown masked and could not be edited; refused now, it is never sent again.
        record.id_number = mask_id_number(record.id_number)
    record.status = status.value
    if status is EntryStatus.DUPLICATE and isinstance(data.get("duplicate_of"), dict):
        dup = data["duplicate_of"]
        record.duplicate_village = _text(dup.get("village"), 12)
        record.duplicate_village_name = _text(dup.get("village_name"), 200)
        record.duplicate_at = _aware(dup.get("assisted_at"))
    if status is EntryStatus.REJECTED:
        code = _text(data.get("code"), 60) or "rejected"
        message = _text(data.get("message"), 500) or code
        record.reject_code, record.reject_message = code, message
        session.add(
            RejectedRow(entry_id=record.id, mutation_id=0, code=code, message=message, at=now)
        )
    record.updated_at = now


def _apply_entry_change(session: Session, change: Change) -> None:
    record = session.get(EntryRecord, change.key)
    if record is None:
        return
    if change.kind == ChangeKind.REVIEW.value:
        _apply_review(record, change.data)  # a review never touches what the volunteer edits
        return
    if _has_pending(session, record.id):
        # The local edit wins; the server's version is the loser and is kept, never dropped.
        # The local side is in the entries table already, so only its revision is noted here.
        session.add(
            ConflictRow(
                entry_id=record.id,
                seq=change.seq,
                kind=str(change.kind),
                data={"server": change.data, "local_rev": record.rev},
                at=datetime.now(UTC),
            )
        )
        return
    _apply_entry_status(session, record, change.data)


def apply_pull_page(session: Session, response: PullResponse) -> None:
    """Store one page of changes and its cursor in the caller's transaction."""
    for change in response.changes:
        _remember(session, change)
        if str(change.kind) in _ENTRY_KINDS:
            _apply_entry_change(session, change)
    state = sync_state(session)
    state.cursor = max(state.cursor, response.next_cursor)
    if state.server_epoch is None:
        state.server_epoch = response.server_epoch
    session.flush()


def pulled_data(session: Session, kind: str) -> list[dict[str, Any]]:
    """Every pulled value of one kind, in change order."""
    stmt = select(PulledRow.data).where(PulledRow.kind == kind).order_by(PulledRow.seq)
    return list(session.scalars(stmt))


def services(session: Session) -> list[ServiceInfo]:
    """The catalogue: the defaults overridden and extended by what the server sent."""
    by_code = {s.code: s for s in DEFAULT_SERVICES}
    for data in pulled_data(session, ChangeKind.SERVICE.value):
        try:
            info = ServiceInfo.model_validate(
                {k: data[k] for k in ServiceInfo.model_fields if k in data}
            )
        except ValidationError:
            continue
        by_code[info.code] = info
    return list(by_code.values())


def tallies(session: Session) -> list[TallyRow]:
    """The last synced tallies of the volunteer's village and commune."""
    rows: list[TallyRow] = []
    for data in pulled_data(session, ChangeKind.TALLY.value):
        try:
            rows.append(TallyRow.model_validate(data))
        except ValidationError:
            continue
    return rows


def quotas(session: Session) -> list[QuotaRead]:
    """The last synced quotas of the volunteer's village and commune."""
    rows: list[QuotaRead] = []
    for data in pulled_data(session, ChangeKind.QUOTA.value):
        try:
            rows.append(QuotaRead.model_validate(data))
        except ValidationError:
            continue
    return rows


def pulled_villages(session: Session) -> list[VillageInfo]:
    """Villages the server sent (names for display)."""
    rows: list[VillageInfo] = []
    for data in pulled_data(session, ChangeKind.VILLAGE.value):
        if data.get("retired"):
            continue
        try:
            rows.append(
                VillageInfo(
                    code=str(data["code"]),
                    name=str(data.get("name", data["code"])),
                    commune_code=str(data.get("commune_code") or data.get("parent_code") or ""),
                    commune_name=str(data.get("commune_name", "")),
                )
            )
        except (KeyError, ValidationError):
            continue
    return rows
