"""The change log devices pull: sequence allocation in the writing transaction, and pull."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import CHANGE_SEQ, Base, ChangeLog, Device, Team, Unit, User
from sync_server.services.secrets import server_epoch

_COUNTERS = Base.metadata.tables["counters"]
_ALLOCATE = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == CHANGE_SEQ)
    .values(value=_COUNTERS.c.value + bindparam("n"))
    .returning(_COUNTERS.c.value)
)
"""Reserve n sequence numbers (Core: no ORM bulk-update bookkeeping per push)."""
_APPEND = insert(Base.metadata.tables["change_log"])
_READ_SEQ = text("SELECT value FROM counters WHERE name = :name")
_LOCK_ROW = text("SELECT value FROM counters WHERE name = :name FOR UPDATE")
"""Plain SQL for the statement every write runs first (an ORM select costs several times it)."""

EVERYONE = "*"
"""The scope of changes every device sees (the service catalogue)."""
MAX_PULL_LIMIT = 1000


@dataclass(frozen=True)
class NewChange:
    """A change to append: kind, key, who sees it (device id, unit code or '*'), payload."""

    kind: str
    key: str
    scope: str
    data: dict[str, Any]


def lock_writers(session: Session) -> int:
    """Take the writers' lock (the change-sequence row) and forget possibly stale loaded rows.

    On SQLite the transaction's BEGIN IMMEDIATE is the lock; on PostgreSQL the row lock is.
    """
    session.flush()  # pending changes first: forgetting loaded state below then loses nothing
    connection = session.connection()
    lock = _LOCK_ROW if connection.dialect.name == "postgresql" else _READ_SEQ
    value: int | None = connection.execute(lock, {"name": CHANGE_SEQ}).scalar()
    if value is None:
        raise RuntimeError("the database is not initialised (run sync-server init)")
    # Rows loaded before the lock (or in earlier transactions) may be stale now.
    session.expire_all()
    return value


def record_changes(session: Session, changes: list[NewChange]) -> list[int]:
    """Append changes with sequence numbers allocated as one block; returns their seqs."""
    if not changes:
        return []
    last = session.connection().execute(_ALLOCATE, {"n": len(changes)}).scalar()
    if last is None:
        raise RuntimeError("the database is not initialised (run sync-server init)")
    first = last - len(changes) + 1
    seqs = list(range(first, last + 1))
    session.connection().execute(
        _APPEND,
        [
            {"seq": seq, "kind": c.kind, "key": c.key, "scope": c.scope, "data": c.data}
            for seq, c in zip(seqs, changes, strict=True)
        ],
    )
    return seqs


def device_scopes(session: Session, device: Device) -> list[str]:
    """The scopes a device sees: itself, its team's village and commune, and everyone."""
    scopes = [device.id, EVERYONE]
    user = session.get(User, device.user_id)
    if user is None:
        return scopes
    units: list[str] = []
    if user.team_id is not None:
        team = session.get(Team, user.team_id)
        if team is not None:
            units.append(team.village_code)
    elif user.unit_code is not None:
        units.append(user.unit_code)
    for code in list(units):
        unit = session.get(Unit, code)
        if unit is not None and unit.commune_code and unit.commune_code != code:
            units.append(unit.commune_code)
    return scopes + units


def pull(session: Session, device: Device, cursor: int, limit: int) -> wire.PullResponse:
    """Changes after `cursor` this device may see, oldest first, at most `limit` of them."""
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    cursor = max(0, cursor)
    rows = session.scalars(
        select(ChangeLog)
        .where(ChangeLog.seq > cursor, ChangeLog.scope.in_(device_scopes(session, device)))
        .order_by(ChangeLog.seq)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    page = rows[:limit]
    return wire.PullResponse(
        changes=[
            wire.Change(seq=row.seq, kind=row.kind, key=row.key, data=row.data) for row in page
        ],
        next_cursor=page[-1].seq if page else cursor,
        has_more=has_more,
        server_epoch=server_epoch(session),
        last_mutation_id=device.last_mutation_id,
    )
