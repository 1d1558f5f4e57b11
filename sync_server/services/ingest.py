"""The one ingest path (HTTP push and bundle import): validate, dedupe, tally, log, per batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring as _json_str
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, attributes

from fieldkit.domain import Entry, mask_id_number, parse_entry, wire
from fieldkit.domain.problems import Problem, error
from sync_server.db.bulk import existing_ids, insert_params, insert_rows, sqlite_params
from sync_server.db.models import Base, Conflict, Device, Service, Unit
from sync_server.db.models import Entry as EntryRow
from sync_server.services.changes import NewChange, lock_writers, record_changes
from sync_server.services.dedupe import (
    CHUNK,
    CountingEntry,
    GroupKey,
    counting_entries,
    entry_status_change,
    group_of,
    settle,
    status_change,
)
from sync_server.services.entry_rows import EDITABLE, Owner, citizen_hasher, entry_row, territory_of
from sync_server.services.secrets import server_epoch, server_secret
from sync_server.services.tally import EntryState, TallyDeltas, apply_deltas, trusted
from sync_server.services.well_formed import RowMaker

ENTRIES = Base.metadata.tables["entries"]
_DEVICES = Base.metadata.tables["devices"]
_ADVANCE = (
    update(_DEVICES)
    .where(_DEVICES.c.id == bindparam("device"))
    .values(last_mutation_id=bindparam("last"))
)
_TALLY_UNITS = itemgetter(
    "village_code", "commune_code", "province_code", "service", "period", "age_group"
)
ROW_COLUMNS = tuple(c.name for c in ENTRIES.columns if c.name != "counted")
"""Columns made before the writers' lock; `counted` is decided under it and goes last."""


class MutationGap(Exception):
    """The batch skips a mutation id: the device must resend from `expected`."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        super().__init__(f"mutation gap: expected mutation_id {expected}")


@dataclass
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

    def parsed(self) -> Entry:
        """The domain entry (the fast path skipped building it)."""
        if self.entry is None:
            self.entry, problems = parse_entry(self.mutation.entry)
            assert self.entry is not None, f"well-formed path disagrees: {problems}"
        return self.entry


@dataclass
class Prepared:
    """A batch after the checks that need no database, done before taking the writers' lock."""

    items: list[tuple[wire.Mutation, dict[str, Any] | None]]
    citizen_key: Callable[[str], str]
    now: datetime


def prepare(mutations: Sequence[wire.Mutation], secret: str) -> Prepared:
    """Turn well-formed entries into row values; the rest wait for the full validation."""
    now = datetime.now(UTC)
    key = citizen_hasher(secret)
    maker = RowMaker(key, now)
    return Prepared([(m, maker.values(m.entry)) for m in mutations], key, now)


@dataclass
class Admitted:
    """A batch checked against the units, services and the device's territory: rows or problems."""

    checked: list[Checked]
    citizen_key: Callable[[str], str]
    now: datetime


def admit(session: Session, device: Device, prepared: Prepared) -> Admitted:
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
    services = set(session.scalars(select(Service.code).where(Service.active.is_(True))))
    territory = territory_of(session, device)
    owners: dict[str, tuple[Owner | None, dict[str, Any]]] = {}
    for unit in villages:
        owner = Owner.of(device, unit) if territory.allows(unit) else None
        owners[unit.code] = (owner, owner.columns(prepared.now) if owner else {})
    key, now = prepared.citizen_key, prepared.now
    checked = [_check(m, r, owners, services, key, now) for m, r in items]
    if session.get_bind().dialect.name == "sqlite":
        valid = [c for c in checked if c.row is not None]
        rows = [c.row for c in valid if c.row is not None]
        for c, params in zip(valid, sqlite_params(ENTRIES, ROW_COLUMNS, rows), strict=True):
            c.params = params
    return Admitted(checked, key, now)


@dataclass
class Batch:
    """What one ingest call accumulates before its few bulk writes."""

    citizen_key: Callable[[str], str]
    now: datetime
    deltas: TallyDeltas = field(default_factory=TallyDeltas)
    changes: list[NewChange] = field(default_factory=list)
    results: dict[int, wire.PushItemResult] = field(default_factory=dict)
    holders: dict[GroupKey, CountingEntry] = field(default_factory=dict)
    """Who counts each group touched by this batch's new successes."""


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
        entry, problems = parse_entry(mutation.entry)
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
        checked.row = entry_row(checked.parsed(), owner, key, now, checked.entry_id)
    return checked


def _insert_new(
    session: Session,
    rows: list[dict[str, Any]],
    params: list[tuple[Any, ...]] | None,
    names: dict[str, str],
    batch: Batch,
) -> None:
    """Insert brand-new entries in bulk; each group's earliest success takes the count."""
    best: dict[GroupKey, dict[str, Any]] = {}
    for row in rows:
        if row["outcome"] != "success":
            continue
        key = (row["citizen_key"], row["service"], row["period"])
        held = best.get(key)
        if held is None or (row["assisted_at"], row["id"]) < (held["assisted_at"], held["id"]):
            best[key] = row
    holders = counting_entries(session, set(best)) if best else {}
    takers: dict[str, dict[str, Any]] = {}
    for key, row in best.items():
        holder = holders.get(key)
        if holder is not None and (holder.assisted_at, holder.entry_id) <= (
            row["assisted_at"],
            row["id"],
        ):
            batch.holders[key] = holder
            continue
        if holder is not None:
            takers[holder.entry_id] = row
        row["counted"] = True
        batch.holders[key] = CountingEntry(
            row["id"], row["village_code"], names[row["id"]], row["assisted_at"]
        )
    if takers:
        _take_over(session, takers, batch)
    if params is not None:
        values = [(*p, r["counted"]) for p, r in zip(params, rows, strict=True)]
        insert_params(session, ENTRIES, (*ROW_COLUMNS, "counted"), values)
    else:
        insert_rows(session, ENTRIES, rows)
    # New entries await review, so only the counting ones change tallies.
    shares = Counter(_TALLY_UNITS(r) for r in rows if r["counted"])
    for (village, commune, province, service, period, group), n in shares.items():
        state = EntryState(
            village, commune, province, service, period, "success", "pending", True, group
        )
        batch.deltas.add(state, n)


def _take_over(session: Session, takers: dict[str, dict[str, Any]], batch: Batch) -> None:
    """Earlier successes in this batch take counts from stored entries (uncounted first)."""
    c = EntryRow.__table__.c
    losers = session.execute(
        select(c.id, c.device_id, c.village_code, c.commune_code, c.province_code)
        .add_columns(c.service, c.period, c.outcome, c.review_status, c.counted, c.age_group)
        .add_columns(c.citizen_key)
        .where(c.id.in_(list(takers)))
    ).all()
    for old in losers:
        row = takers[old[0]]
        before = EntryState(*old[2:11])
        batch.deltas.move(before, before.uncounted())
        batch.changes.append(
            status_change(old[0], old[1], False, batch.holders[(old[11], old[5], old[6])])
        )
        batch.changes.append(status_change(row["id"], row["device_id"], True, None))
    session.execute(
        update(EntryRow)
        .where(EntryRow.id.in_([old[0] for old in losers]))
        .values(counted=False)
        .execution_options(synchronize_session=False)
    )


def _new_results(
    rows: list[dict[str, Any]], ids: dict[str, int], holders: dict[GroupKey, CountingEntry]
) -> dict[int, wire.PushItemResult]:
    """Statuses of the entries inserted by a batch, without reading them back."""
    out: dict[int, wire.PushItemResult] = {}
    accepted, duplicate = wire.ItemStatus.ACCEPTED, wire.ItemStatus.DUPLICATE
    for row in rows:
        mutation_id = ids[row["id"]]
        values: dict[str, Any] = {
            "mutation_id": mutation_id,
            "entry_id": row["id"],
            "status": accepted,
            "code": None,
            "message": None,
            "duplicate_of": None,
            "rev": row["rev"],
        }
        if not row["counted"] and row["outcome"] == "success":
            holder = holders.get((row["citizen_key"], row["service"], row["period"]))
            if holder is not None:
                values["status"] = duplicate
                values["code"] = "entry.duplicate"
                values["message"] = holder.message_vi
                values["duplicate_of"] = holder.duplicate_of()
        out[mutation_id] = trusted(wire.PushItemResult, values)
    return out


@dataclass
class Ingested:
    """A batch applied in the caller's transaction; `response()` words it once committed.

    The statuses of new entries follow from what the batch inserted, so they are built
    after the commit, outside the writers' lock.
    """

    last_mutation_id: int
    server_epoch: str
    order: list[int]
    decided: dict[int, wire.PushItemResult]
    rows: list[dict[str, Any]]
    mutation_ids: dict[str, int]
    holders: dict[GroupKey, CountingEntry]

    def response(self) -> wire.PushResponse:
        """The push response, items in mutation-id order."""
        results = self.decided | _new_results(self.rows, self.mutation_ids, self.holders)
        return wire.PushResponse(
            last_mutation_id=self.last_mutation_id,
            results=[results[m] for m in self.order],
            server_epoch=self.server_epoch,
        )

    def response_json(self) -> bytes:
        """response().model_dump_json(), byte for byte, without a model per accepted entry.

        A plain accepted entry is one line of a fixed shape; anything else (duplicates,
        rejections, resends, conflicts) is serialised by its model.
        """
        plain: dict[int, dict[str, Any]] = {}
        others: list[dict[str, Any]] = []
        for row in self.rows:
            if not row["counted"] and row["outcome"] == "success":
                others.append(row)
            else:
                plain[self.mutation_ids[row["id"]]] = row
        results = self.decided | _new_results(others, self.mutation_ids, self.holders)
        parts: list[bytes] = []
        for m in self.order:
            accepted = plain.get(m)
            if accepted is None:
                parts.append(results[m].model_dump_json().encode())
            else:
                parts.append(_ACCEPTED % (m, _json_str(accepted["id"]).encode(), accepted["rev"]))
        return b'{"last_mutation_id":%d,"results":[%s],"server_epoch":%s}' % (
            self.last_mutation_id,
            b",".join(parts),
            _json_str(self.server_epoch).encode(),
        )


_ACCEPTED = (
    b'{"mutation_id":%d,"entry_id":%s,"status":"accepted",'
    b'"code":null,"message":null,"duplicate_of":null,"rev":%d}'
)


def _apply_again(session: Session, device: Device, checked: Checked, batch: Batch) -> None:
    """A mutation for an entry the server has: resend, edit at base_rev, or a kept conflict."""
    entry, owner, m = checked.parsed(), checked.owner, checked.mutation
    assert owner is not None
    stored = session.get(EntryRow, checked.entry_id)
    assert stored is not None
    if stored.device_id != device.id:
        batch.results[m.mutation_id] = _rejected(m, error("entry.other_device", "id"))
        return
    if m.base_rev is None:
        return  # the same entry again (e.g. after an epoch reset): idempotent
    if m.base_rev != stored.rev:
        data = entry.model_dump(mode="json") | {"id_number": mask_id_number(entry.id_number)}
        session.add(
            Conflict(
                entry_id=stored.id,
                device_id=device.id,
                mutation_id=m.mutation_id,
                base_rev=m.base_rev,
                stored_rev=stored.rev,
                data=data,
            )
        )
        problem = error("conflict", "rev")
        batch.results[m.mutation_id] = wire.PushItemResult(
            mutation_id=m.mutation_id,
            entry_id=stored.id,
            status=wire.ItemStatus.ACCEPTED,
            code="conflict",
            message=problem.message("vi"),
            rev=stored.rev,
        )
        return
    old_key = group_of(stored)
    batch.deltas.move(EntryState.of(stored), None)
    stored.counted = False
    row = entry_row(entry, owner, batch.citizen_key, batch.now)
    for name in EDITABLE:
        setattr(stored, name, row[name])
    stored.rev += 1
    stored.review_status = "pending"
    batch.deltas.move(None, EntryState.of(stored))
    session.flush()
    settlement = settle(session, {old_key, group_of(stored)}, batch.deltas)
    _settlement_changes(session, settlement.lost, settlement.gained, {stored.id}, batch)


def _settlement_changes(
    session: Session, lost: list[EntryRow], gained: list[EntryRow], skip: set[str], batch: Batch
) -> None:
    """Tell other devices their entries stopped or started counting."""
    others = [e for e in lost + gained if e.id not in skip]
    if not others:
        return
    counting = counting_entries(session, {group_of(e) for e in others})
    for e in others:
        batch.changes.append(entry_status_change(e, counting.get(group_of(e))))


def _rejected(mutation: wire.Mutation, problem: Problem | None) -> wire.PushItemResult:
    """A per-item rejection with the problem's code and Vietnamese message."""
    problem = problem or error("entry.invalid", "entry", detail="?")
    raw_id = mutation.entry.get("id")
    return wire.PushItemResult(
        mutation_id=mutation.mutation_id,
        entry_id=raw_id[:64] if isinstance(raw_id, str) else None,
        status=wire.ItemStatus.REJECTED,
        code=problem.code,
        message=problem.message("vi"),
    )


def _results(
    session: Session, checked: list[Checked], batch: Batch, new: set[int]
) -> dict[int, wire.PushItemResult]:
    """Statuses of all but the new entries, read from their state in this transaction."""
    decided = batch.results
    ids = [
        c.entry_id
        for c in checked
        if c.entry_id
        and c.mutation.mutation_id not in decided
        and c.mutation.mutation_id not in new
    ]
    stored: dict[str, Any] = {}
    columns = (EntryRow.id, EntryRow.counted, EntryRow.outcome, EntryRow.citizen_key)
    for start in range(0, len(ids), CHUNK):
        query = select(*columns, EntryRow.service, EntryRow.period, EntryRow.rev)
        for r in session.execute(query.where(EntryRow.id.in_(ids[start : start + CHUNK]))):
            stored[r[0]] = r
    dup_keys = {(r[3], r[4], r[5]) for r in stored.values() if not r[1] and r[2] == "success"}
    counting = counting_entries(session, dup_keys) if dup_keys else {}
    out: dict[int, wire.PushItemResult] = {}
    for c in checked:
        m = c.mutation
        if m.mutation_id in decided:
            out[m.mutation_id] = decided[m.mutation_id]
            continue
        if m.mutation_id in new:
            continue
        if not c.entry_id:
            out[m.mutation_id] = _rejected(m, c.problem)
            continue
        found = stored.get(c.entry_id)
        holder = None
        if found is not None and not found[1] and found[2] == "success":
            holder = counting.get((found[3], found[4], found[5]))
        item = wire.PushItemResult(
            mutation_id=m.mutation_id,
            entry_id=c.entry_id,
            status=wire.ItemStatus.ACCEPTED,
            rev=found[6] if found is not None else None,
        )
        if holder is not None and found is not None and holder.entry_id != found[0]:
            item.status = wire.ItemStatus.DUPLICATE
            item.code = "entry.duplicate"
            item.message = holder.message()
            item.duplicate_of = holder.duplicate_of()
        out[m.mutation_id] = item
    return out


def _sequence(items: Sequence[Checked], last: int) -> tuple[list[Checked], int]:
    """Mutations in id order without repeats, and the new last id; raise on a gap."""
    ordered: dict[int, Checked] = {}
    for item in sorted(items, key=lambda item: item.mutation.mutation_id):
        ordered.setdefault(item.mutation.mutation_id, item)
    expected = last + 1
    for mutation_id in ordered:
        if mutation_id > last:
            if mutation_id != expected:
                raise MutationGap(expected)
            expected += 1
    return list(ordered.values()), expected - 1


def ingest_mutations(
    session: Session, device: Device, mutations: Sequence[wire.Mutation]
) -> wire.PushResponse:
    """Apply one device's batch (protocol rules 2–4) inside the caller's transaction."""
    admitted = admit(session, device, prepare(mutations, server_secret(session)))
    return ingest_prepared(session, device, admitted).response()


def ingest_prepared(session: Session, device: Device, admitted: Admitted) -> Ingested:
    """Apply an admitted batch inside the caller's transaction (which this takes the lock for)."""
    lock_writers(session)
    last = session.scalar(select(Device.last_mutation_id).where(Device.id == device.id))
    if last is None:
        raise LookupError(f"unknown device {device.id}")
    checked, new_last = _sequence(admitted.checked, last)
    batch = Batch(admitted.citizen_key, admitted.now)
    fresh = [c for c in checked if c.entry_id and c.mutation.mutation_id > last]
    known: set[str] = existing_ids(session, ENTRIES, "id", [c.entry_id for c in fresh])
    rows: list[dict[str, Any]] = []
    params: list[tuple[Any, ...]] | None = []
    names: dict[str, str] = {}
    mutation_ids: dict[str, int] = {}
    again: list[Checked] = []
    for c in fresh:
        entry_id = c.entry_id
        if entry_id in known:
            again.append(c)
            continue
        known.add(entry_id)
        assert c.owner is not None and c.row is not None
        rows.append(c.row)
        if params is not None:
            if c.params is None:
                params = None
            else:
                params.append(c.params)
        names[entry_id] = c.owner.village_name
        mutation_ids[entry_id] = c.mutation.mutation_id
    if rows:
        _insert_new(session, rows, params, names, batch)
    for c in again:
        _apply_again(session, device, c, batch)
    batch.changes.extend(apply_deltas(session, batch.deltas))
    record_changes(session, batch.changes)
    if new_last > last:
        session.connection().execute(_ADVANCE, {"device": device.id, "last": new_last})
        attributes.set_committed_value(device, "last_mutation_id", new_last)
    new = set(mutation_ids.values())
    return Ingested(
        last_mutation_id=new_last,
        server_epoch=server_epoch(session),
        order=[c.mutation.mutation_id for c in checked],
        decided=_results(session, checked, batch, new),
        rows=rows,
        mutation_ids=mutation_ids,
        holders=batch.holders,
    )
