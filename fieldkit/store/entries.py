"""Saving, editing and finding entries (functions take a session; the caller commits)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from fieldkit.domain import (
    VIETNAM_TZ,
    ConsentMethod,
    DeviceOwner,
    DomainError,
    Entry,
    Outcome,
    Reason,
    Sex,
    fold,
    mask_id_number,
    normalise_id_number,
    normalise_phone,
)
from fieldkit.domain.digits import is_ascii_digits
from fieldkit.store.errors import StoreError
from fieldkit.store.keys import id_key
from fieldkit.store.models import EntryRecord, OutboxRow, SyncStateRow
from fieldkit.store.privacy import shown_id_number, shown_id_number_sql
from fieldkit.store.records import (
    RETURNED_DECISIONS,
    EntryFilter,
    EntryQuery,
    EntryRow,
    EntryStatus,
    SavedEntry,
)

MAX_PAGE = 1000
PHONE_COUNT_CAP = 1000


def sync_state(session: Session) -> SyncStateRow:
    """The one sync bookkeeping row (created with the database)."""
    state = session.get(SyncStateRow, 1)
    if state is None:
        state = SyncStateRow(id=1, cursor=0, next_mutation_id=1, last_mutation_id=0)
        session.add(state)
        session.flush()
    return state


def next_mutation_id(session: Session) -> int:
    """Allocate the next mutation id (strictly increasing; the write lock is already held)."""
    state = sync_state(session)
    value = state.next_mutation_id
    state.next_mutation_id = value + 1
    return value


def _fill(record: EntryRecord, entry: Entry, local_key: str, now: datetime) -> None:
    """Copy an Entry's fields onto its row, with the search column and the local id key."""
    record.visit_id = str(entry.visit_id) if entry.visit_id else None
    record.village = entry.village
    record.service = entry.service
    record.outcome = entry.outcome.value
    record.reasons = [r.value for r in entry.reasons]
    record.assisted_at = entry.assisted_at
    record.full_name = entry.full_name
    record.search = fold(entry.full_name)
    record.id_number = entry.id_number
    record.id_key = id_key(local_key, entry.id_number)
    record.birth_year = entry.birth_year
    record.sex = entry.sex.value
    record.phone = entry.phone
    record.consent = entry.consent
    record.consent_method = entry.consent_method.value
    record.device_owner = entry.device_owner.value
    record.note = entry.note
    record.rev = entry.rev
    record.updated_at = now


def _outbox(session: Session, entry: Entry, base_rev: int | None, now: datetime) -> int:
    mutation_id = next_mutation_id(session)
    session.add(
        OutboxRow(
            mutation_id=mutation_id,
            entry_id=str(entry.id),
            payload=entry.model_dump(mode="json"),
            base_rev=base_rev,
            created_at=now,
        )
    )
    return mutation_id


def entry_row(entry: Entry, local_key: str, now: datetime) -> dict[str, object]:
    """The entries-table row of a new entry."""
    return {
        "id": str(entry.id),
        "visit_id": str(entry.visit_id) if entry.visit_id else None,
        "village": entry.village,
        "service": entry.service,
        "outcome": entry.outcome.value,
        "reasons": [r.value for r in entry.reasons],
        "assisted_at": entry.assisted_at,
        "full_name": entry.full_name,
        "search": fold(entry.full_name),
        "id_number": entry.id_number,
        "id_key": id_key(local_key, entry.id_number),
        "birth_year": entry.birth_year,
        "sex": entry.sex.value,
        "phone": entry.phone,
        "consent": entry.consent,
        "consent_method": entry.consent_method.value,
        "device_owner": entry.device_owner.value,
        "note": entry.note,
        "rev": entry.rev,
        "status": EntryStatus.PENDING.value,
        "erased": False,
        "created_at": now,
        "updated_at": now,
    }


def save_entries(conn: Connection, entries: list[Entry], local_key: str) -> list[SavedEntry]:
    """Add new entries and one outbox row each, in the caller's transaction.

    This is the hot path of every save, so it runs plain Core statements on a connection: one
    counter update and two inserts, no unit-of-work bookkeeping. An id that is already stored
    fails the primary key (IntegrityError); Store.save_entries turns that into a StoreError.
    """
    if not entries:
        return []
    now = datetime.now(UTC)
    seen: set[str] = set()
    for entry_id in (str(e.id) for e in entries):  # the primary key refuses stored ones
        if entry_id in seen:
            raise StoreError("entry.exists", entry_id=entry_id)
        seen.add(entry_id)
    state = cast(Table, SyncStateRow.__table__)
    bump = (
        update(state)
        .where(state.c.id == 1)
        .values(next_mutation_id=state.c.next_mutation_id + len(entries))
        .returning(state.c.next_mutation_id)
    )
    after = conn.execute(bump).scalar()
    if after is None:  # the row is made with the database; recreate it if it went missing
        conn.execute(insert(state).values(id=1, cursor=0, next_mutation_id=1, last_mutation_id=0))
        after = conn.execute(bump).scalar_one()
    first = int(after) - len(entries)
    conn.execute(
        insert(cast(Table, EntryRecord.__table__)), [entry_row(e, local_key, now) for e in entries]
    )
    conn.execute(
        insert(cast(Table, OutboxRow.__table__)),
        [
            {
                "mutation_id": first + i,
                "entry_id": str(e.id),
                "payload": e.model_dump(mode="json"),
                "base_rev": None,
                "created_at": now,
            }
            for i, e in enumerate(entries)
        ],
    )
    return [
        SavedEntry(entry_id=e.id, mutation_id=first + i, rev=e.rev) for i, e in enumerate(entries)
    ]


def update_entry(session: Session, entry: Entry, local_key: str) -> SavedEntry:
    """Edit an entry (or fix a rejected one): rev+1, base_rev = the old rev, a new outbox row."""
    record = session.get(EntryRecord, str(entry.id))
    if record is None:
        raise StoreError("entry.unknown", entry_id=str(entry.id))
    if record.erased:
        raise StoreError("entry.erased", entry_id=str(entry.id))
    if not to_row(record).editable:
        raise StoreError("entry.not_editable", entry_id=str(entry.id))
    now = datetime.now(UTC)
    base_rev = record.rev
    new = entry.model_copy(update={"rev": base_rev + 1})
    stored_number, stored_key = record.id_number, record.id_key
    if new.keeps_number and new.id_number != mask_id_number(stored_number):
        raise StoreError("entry.number_kept", entry_id=str(entry.id))
    _fill(record, new, local_key, now)
    if new.keeps_number:  # the number cannot change once masked: keep what is stored
        record.id_number, record.id_key = stored_number, stored_key
    record.status = EntryStatus.PENDING.value
    record.reject_code = None
    record.reject_message = None
    # The edit answers the review; the server puts the entry back in its review queue.
    record.review_decision = None
    record.review_reason = None
    mutation_id = _outbox(session, new, base_rev, now)
    session.flush()
    return SavedEntry(entry_id=new.id, mutation_id=mutation_id, rev=new.rev)


def to_row(record: EntryRecord, *, shown: bool = True) -> EntryRow:
    """The read model of a row: the number as lists show it, or (shown=False) as stored."""
    number = shown_id_number(record.status, record.id_number) if shown else record.id_number
    return EntryRow(
        id=uuid.UUID(record.id),
        visit_id=uuid.UUID(record.visit_id) if record.visit_id else None,
        village=record.village,
        service=record.service,
        outcome=Outcome(record.outcome),
        reasons=[Reason(r) for r in record.reasons],
        assisted_at=record.assisted_at,
        full_name=record.full_name,
        id_number=number,
        birth_year=record.birth_year,
        sex=Sex(record.sex),
        phone=record.phone,
        consent=record.consent,
        consent_method=ConsentMethod(record.consent_method),
        device_owner=DeviceOwner(record.device_owner),
        note=record.note,
        rev=record.rev,
        status=EntryStatus(record.status),
        server_rev=record.server_rev,
        erased=record.erased,
        created_at=record.created_at,
        duplicate_village=record.duplicate_village,
        duplicate_village_name=record.duplicate_village_name,
        duplicate_at=record.duplicate_at,
        review_decision=record.review_decision,
        review_reason=record.review_reason,
        reject_code=record.reject_code,
        reject_message=record.reject_message,
    )


def get_entry(session: Session, entry_id: uuid.UUID | str) -> EntryRow | None:
    """One entry by id, or None."""
    record = session.get(EntryRecord, str(entry_id))
    return to_row(record) if record is not None else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def today_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of today in Vietnam's time zone, as aware datetimes."""
    local = (now or datetime.now(UTC)).astimezone(VIETNAM_TZ)
    start = datetime.combine(local.date(), time(0), tzinfo=VIETNAM_TZ)
    return start, start + timedelta(days=1)


def returned_condition() -> ColumnElement[bool]:
    """Entries returned to fix: refused by the server's checks, or by a reviewer."""
    return or_(
        EntryRecord.status == EntryStatus.REJECTED.value,
        EntryRecord.review_decision.in_(RETURNED_DECISIONS),
    )


def follow_up_condition() -> ColumnElement[bool]:
    """Entries whose outcome is still pending (the citizen comes back later)."""
    return and_(EntryRecord.outcome == Outcome.PENDING.value, EntryRecord.erased.is_(False))


def _conditions(query: EntryQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    term = query.search.strip()
    if term:
        digits = term.replace(" ", "").replace(".", "").replace("-", "")
        if is_ascii_digits(digits):
            conditions.append(
                or_(
                    shown_id_number_sql().like(_like(digits), escape="\\"),
                    EntryRecord.phone.like(_like(digits), escape="\\"),
                )
            )
        else:
            folded = " ".join(fold(term).split())
            conditions.append(EntryRecord.search.like(_like(folded), escape="\\"))
    match query.filter:
        case EntryFilter.TODAY:
            start, end = today_bounds()
            conditions.append(and_(EntryRecord.assisted_at >= start, EntryRecord.assisted_at < end))
        case EntryFilter.PENDING:
            conditions.append(EntryRecord.status == EntryStatus.PENDING.value)
        case EntryFilter.REJECTED:
            conditions.append(returned_condition())
        case EntryFilter.FOLLOW_UP:
            conditions.append(follow_up_condition())
        case EntryFilter.DUPLICATE:
            conditions.append(EntryRecord.status == EntryStatus.DUPLICATE.value)
        case _:
            pass
    if query.village:
        conditions.append(EntryRecord.village == query.village)
    if query.service:
        conditions.append(EntryRecord.service == query.service)
    return conditions


def page_statement(query: EntryQuery) -> Select[EntryRecord]:
    """The SELECT of one page: newest first, offset/limit paging."""
    limit = max(1, min(query.limit, MAX_PAGE))
    return (
        select(EntryRecord)
        .where(*_conditions(query))
        .order_by(EntryRecord.assisted_at.desc(), EntryRecord.id.desc())
        .offset(max(0, query.offset))
        .limit(limit)
    )


def query_entries(session: Session, query: EntryQuery) -> list[EntryRow]:
    """One page of entries, newest first."""
    return [to_row(r) for r in session.scalars(page_statement(query))]


def count_entries(session: Session, query: EntryQuery) -> int:
    """How many entries match the query's search and filter (paging ignored)."""
    stmt = select(func.count()).select_from(EntryRecord).where(*_conditions(query))
    return int(session.scalar(stmt) or 0)


def already_helped(
    session: Session, local_key: str, id_number: str, service: str
) -> datetime | None:
    """When this citizen first had a success for this service on this laptop, if ever."""
    try:
        number = normalise_id_number(id_number)
    except DomainError:
        return None
    stmt = select(func.min(EntryRecord.assisted_at)).where(
        EntryRecord.id_key == id_key(local_key, number),
        EntryRecord.service == service,
        EntryRecord.outcome == Outcome.SUCCESS.value,
    )
    found = session.scalar(stmt)
    if found is None:
        return None
    if isinstance(found, str):  # func.min bypasses the column type on SQLite
        found = datetime.fromisoformat(found)
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def phone_use_count(
    session: Session, local_key: str, phone: str, exclude_id_number: str | None = None
) -> int:
    """How many distinct citizens this phone was recorded for here (excluding one citizen)."""
    try:
        number = normalise_phone(phone)
    except DomainError:
        return 0
    citizens = (
        select(EntryRecord.id_key)
        .where(EntryRecord.phone == number, EntryRecord.id_key.is_not(None))
        .distinct()
    )
    if exclude_id_number:
        try:
            own = id_key(local_key, normalise_id_number(exclude_id_number))
            citizens = citizens.where(EntryRecord.id_key != own)
        except DomainError:
            pass
    # Only "how many, roughly" matters for the warning: stop counting at PHONE_COUNT_CAP.
    capped = citizens.limit(PHONE_COUNT_CAP).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


class SessionLookups:
    """already_helped and phone_use_count bound to one read snapshot (for bulk imports)."""

    def __init__(self, session: Session, local_key: str) -> None:
        self.session = session
        self.local_key = local_key

    def already_helped(self, id_number: str, service: str) -> datetime | None:
        """See Store.already_helped."""
        return already_helped(self.session, self.local_key, id_number, service)

    def phone_use_count(self, phone: str, exclude_id_number: str | None = None) -> int:
        """See Store.phone_use_count."""
        return phone_use_count(self.session, self.local_key, phone, exclude_id_number)


def first_stored(session: Session, entry_ids: list[str]) -> str | None:
    """The first of these entry ids that is already stored, if any."""
    for start in range(0, len(entry_ids), 500):
        chunk = entry_ids[start : start + 500]
        found = session.scalar(select(EntryRecord.id).where(EntryRecord.id.in_(chunk)).limit(1))
        if found is not None:
            return str(found)
    return None
