"""Reading entries for coordinators: masked identities, paged, and every read audited."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session

from fieldkit.domain import mask_phone
from sync_server.db.models import AuditLog, Entry, Unit, User, utcnow
from sync_server.services.dedupe import disputed

MAX_PAGE = 200
MAX_OFFSET = 2**31 - 1
"""Far beyond any unit's entries; larger numbers do not fit the databases' OFFSET."""
READ_ACTION = "entry.read"


class EntryQuery(BaseModel):
    """Filters for one page of entries (all optional)."""

    model_config = ConfigDict(extra="forbid")

    unit: str | None = Field(default=None, max_length=20)
    village: str | None = Field(default=None, max_length=20)
    volunteer: int | None = Field(default=None, ge=1, le=2**31 - 1)
    period: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    service: str | None = Field(default=None, max_length=40)
    outcome: str | None = Field(default=None, max_length=20)
    review_status: str | None = Field(default=None, max_length=12)
    disputed: bool = False
    """Only successes in a credit dispute between villages (dedupe.disputed)."""
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


class EntryRead(BaseModel):
    """One entry as staff see it: the identity number is always masked."""

    id: str
    village_code: str
    commune_code: str
    service: str
    outcome: str
    reasons: list[str]
    assisted_at: datetime
    period: str
    id_masked: str
    full_name: str | None
    birth_year: int
    sex: str
    phone_masked: str | None
    consent: bool
    device_owner: str
    note: str | None
    rev: int
    review_status: str
    counted: bool
    volunteer_id: int
    received_at: datetime


class EntryPage(BaseModel):
    """A page of entries and the total matching the filters."""

    data: list[EntryRead]
    count: int


def _unit_filter(unit: Unit) -> ColumnElement[bool]:
    if unit.level == "village":
        return Entry.village_code == unit.code
    if unit.level == "commune":
        return Entry.commune_code == unit.code
    return Entry.province_code == unit.code


def _to_read(entry: Entry, with_names: bool) -> EntryRead:
    return EntryRead(
        id=entry.id,
        village_code=entry.village_code,
        commune_code=entry.commune_code,
        service=entry.service,
        outcome=entry.outcome,
        reasons=[r for r in entry.reasons.split(",") if r],
        assisted_at=entry.assisted_at,
        period=entry.period,
        id_masked=entry.id_masked,
        full_name=entry.full_name if with_names else None,
        birth_year=entry.birth_year,
        sex=entry.sex,
        phone_masked=mask_phone(entry.phone) if entry.phone and with_names else None,
        consent=entry.consent,
        device_owner=entry.device_owner,
        note=entry.note if with_names else None,
        rev=entry.rev,
        review_status=entry.review_status,
        counted=entry.counted,
        volunteer_id=entry.user_id,
        received_at=entry.received_at,
    )


def entry_conditions(unit: Unit, query: EntryQuery) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a unit's entries matching the query's filters."""
    conditions = [_unit_filter(unit)]
    if query.village:
        conditions.append(Entry.village_code == query.village)
    if query.volunteer is not None:
        conditions.append(Entry.user_id == query.volunteer)
    if query.period:
        conditions.append(Entry.period == query.period)
    if query.service:
        conditions.append(Entry.service == query.service)
    if query.outcome:
        conditions.append(Entry.outcome == query.outcome)
    if query.review_status:
        conditions.append(Entry.review_status == query.review_status)
    if query.disputed:
        conditions.append(disputed())
    return conditions


def list_entries(session: Session, viewer: User, unit: Unit, query: EntryQuery) -> EntryPage:
    """One page of a unit's entries (access already checked), auditing each one shown.

    Province officers need numbers, not people: they get no names, phones or notes.
    """
    page, shown = find_entries(session, viewer, unit, query)
    audit_shown(session, viewer, unit, query, shown)
    return page


def find_entries(
    session: Session, viewer: User, unit: Unit, query: EntryQuery
) -> tuple[EntryPage, list[tuple[str, str]]]:
    """list_entries without its audit: the page and (entry id, commune code) of each row.

    For a page that reads in a read transaction and audits in a short write one after.
    """
    conditions = entry_conditions(unit, query)
    count = session.scalar(select(func.count()).select_from(Entry).where(*conditions)) or 0
    rows = session.scalars(
        select(Entry)
        .where(*conditions)
        .order_by(Entry.assisted_at.desc(), Entry.id)
        .offset(query.offset)
        .limit(query.limit)
    ).all()
    with_names = viewer.role in ("coordinator", "admin")
    shown = [(row.id, row.commune_code) for row in rows]
    return EntryPage(data=[_to_read(row, with_names) for row in rows], count=count), shown


def audit_shown(
    session: Session,
    viewer: User,
    unit: Unit,
    query: EntryQuery,
    shown: list[tuple[str, str]],
) -> None:
    """Audit each (entry id, commune code) shown, in one multi-row INSERT (not 50 flushes)."""
    if not shown:
        return
    detail = json.dumps(query.model_dump(exclude_none=True) | {"unit": unit.code})
    now = utcnow()
    session.execute(
        insert(AuditLog),
        [
            {
                "at": now,
                "user_id": viewer.id,
                "action": READ_ACTION,
                "entry_id": entry_id,
                "detail": detail,
                "unit_code": commune_code,
            }
            for entry_id, commune_code in shown
        ],
    )
