"""Applying an admitted batch under the writers' lock: insert, dedupe, tally, log, per batch.

pushing.py runs the pipeline (admission.py checks a batch before the writers' lock; this
applies it under the lock; push_results.py words the answer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session, attributes

from fieldkit.domain import mask_id_number, wire
from fieldkit.domain.problems import Problem, error
from sync_server.db.bulk import existing_ids, insert_params, insert_rows
from sync_server.db.models import Base, Conflict, Device
from sync_server.db.models import Entry as EntryRow
from sync_server.services.admission import (
    ENTRIES,
    FLAGGED,
    ROW_COLUMNS,
    Admitted,
    Checked,
)
from sync_server.services.changes import NewChange, lock_writers, record_changes
from sync_server.services.citizens import CitizenDeltas
from sync_server.services.dedupe import (
    CHUNK,
    CountingEntry,
    CountingId,
    GroupKey,
    counting_entries,
    counting_order,
    entry_status_change,
    group_of,
    settle,
    status_change,
)
from sync_server.services.entry_rows import EDITABLE, entry_row
from sync_server.services.push_results import Ingested, rejected, stored_results
from sync_server.services.secrets import server_epoch
from sync_server.services.tally import EntryState, TallyDeltas, apply_deltas
from sync_server.services.weekly import week_of

_DEVICES = Base.metadata.tables["devices"]
_REVIEWS = Base.metadata.tables["reviews"]
_ADVANCE = (
    update(_DEVICES)
    .where(_DEVICES.c.id == bindparam("device"))
    .values(last_mutation_id=bindparam("last"), last_sync_at=bindparam("at"))
)
_LAST_MUTATION = text("SELECT last_mutation_id FROM devices WHERE id = :device")
_TALLY_UNITS = itemgetter(
    "village_code", "commune_code", "province_code", "service", "period", "age_group"
)


class MutationGap(Exception):
    """The batch skips a mutation id: the device must resend from `expected`."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        super().__init__(f"mutation gap: expected mutation_id {expected}")


@dataclass
class Batch:
    """What one ingest call accumulates before its few bulk writes."""

    citizen_key: Callable[[str], str]
    now: datetime
    deltas: TallyDeltas = field(default_factory=TallyDeltas)
    citizens: CitizenDeltas = field(default_factory=CitizenDeltas)
    changes: list[NewChange] = field(default_factory=list)
    results: dict[int, wire.PushItemResult] = field(default_factory=dict)
    holders: dict[GroupKey, CountingEntry] = field(default_factory=dict)
    """Who counts each group touched by this batch's new successes."""
    device_id: str = ""
    flags: dict[str, Problem] = field(default_factory=dict)
    """Why each entry flagged on arrival waits for review, by entry id (Checked.flag)."""


def _insert_new(
    session: Session,
    rows: list[dict[str, Any]],
    params: list[tuple[Any, ...]] | None,
    names: dict[str, str],
    batch: Batch,
    counting: list[CountingId] | None,
) -> None:
    """Insert brand-new entries in bulk; each group's first success (dedupe rule) counts.

    `counting`: the counting successes of these rows' citizens, if already read.
    """
    best: dict[GroupKey, dict[str, Any]] = {}
    for row in rows:
        if row["outcome"] != "success":
            continue
        key = (row["citizen_key"], row["service"], row["period"])
        held = best.get(key)
        if held is None or (row["assisted_at"], row["id"]) < (held["assisted_at"], held["id"]):
            best[key] = row  # one batch is received at one instant
    holders = counting_entries(session, set(best), counting) if best else {}
    takers: dict[str, dict[str, Any]] = {}
    for key, row in best.items():
        holder = holders.get(key)
        if holder is not None and counting_order(
            holder.received_at, holder.assisted_at, holder.entry_id
        ) <= counting_order(row["received_at"], row["assisted_at"], row["id"]):
            batch.holders[key] = holder
            continue
        if holder is not None:
            takers[holder.entry_id] = row
        row["counted"] = True
        batch.holders[key] = CountingEntry(
            row["id"], row["village_code"], names[row["id"]], row["assisted_at"],
            row["received_at"], row["commune_code"],
        )  # fmt: skip
    if takers:
        _take_over(session, takers, batch)
    if params is not None:
        values = [(*p, r["counted"]) for p, r in zip(params, rows, strict=True)]
        insert_params(session, ENTRIES, (*ROW_COLUMNS, "counted"), values)
    else:
        insert_rows(session, ENTRIES, rows)
    flagged = [r["id"] for r in rows if r["review_status"] == FLAGGED]
    _review_flagged(session, flagged, batch)
    # New entries await review, so only the counting ones change tallies.
    shares = Counter((*_TALLY_UNITS(r), week_of(r["assisted_at"])) for r in rows if r["counted"])
    for (village, commune, province, service, period, group, week), n in shares.items():
        state = EntryState(
            village, commune, province, service, period, "success", "pending", True, group, week
        )
        batch.deltas.add(state, n)


def _take_over(session: Session, takers: dict[str, dict[str, Any]], batch: Batch) -> None:
    """Earlier successes in this batch take counts from stored entries (uncounted first)."""
    c = EntryRow.__table__.c
    losers = session.execute(
        select(c.id, c.device_id, c.village_code, c.commune_code, c.province_code)
        .add_columns(c.service, c.period, c.outcome, c.review_status, c.counted, c.age_group)
        .add_columns(c.citizen_key, c.assisted_at)
        .where(c.id.in_(list(takers)))
    ).all()
    for old in losers:
        row = takers[old[0]]
        before = replace(EntryState(*old[2:11]), week=week_of(old[12]))
        batch.deltas.move(before, before.uncounted())
        batch.changes.append(
            status_change(old[0], old[1], False, batch.holders[(old[11], old[5], old[6])], old[3])
        )
        batch.changes.append(status_change(row["id"], row["device_id"], True, None))
    session.execute(
        update(EntryRow)
        .where(EntryRow.id.in_([old[0] for old in losers]))
        .values(counted=False)
        .execution_options(synchronize_session=False)
    )


def _review_flagged(session: Session, entry_ids: list[str], batch: Batch) -> None:
    """Entries flagged on arrival (admission.flag_backdated, flag_late): their review-queue
    reason, and the same news a coordinator's decision sends, so the volunteer's laptop learns
    it on its next pull."""
    if not entry_ids:
        return
    reasons = {i: batch.flags[i].message("vi") for i in entry_ids}
    review = {"decision": FLAGGED, "reviewer_id": None, "at": batch.now}
    insert_rows(
        session, _REVIEWS, [review | {"entry_id": i, "reason": reasons[i]} for i in entry_ids]
    )
    news = {"decision": FLAGGED, "reviewer": "", "at": batch.now.isoformat()}
    batch.changes += [
        NewChange("review", i, batch.device_id, news | {"entry_id": i, "reason": reasons[i]})
        for i in entry_ids
    ]


def _apply_again(session: Session, device: Device, checked: Checked, batch: Batch) -> None:
    """A mutation for an entry the server has: resend, edit at base_rev, or a kept conflict."""
    entry, owner, m = checked.parsed(), checked.owner, checked.mutation
    assert owner is not None
    stored = session.get(EntryRow, checked.entry_id)
    assert stored is not None
    if stored.device_id != device.id:
        batch.results[m.mutation_id] = rejected(m, error("entry.other_device", "id"))
        return
    if m.base_rev is None:
        if entry.rev <= stored.rev:
            # The same entry again (e.g. after an epoch reset): idempotent; this mutation id
            # now names it, so sending the same mutation once more is acknowledged too.
            stored.mutation_id = m.mutation_id
            return
        # Sent again after a restore that lost later edits of it: the laptop's version is
        # newer than the one the server got back, so it applies as an edit of that one.
    elif m.base_rev != stored.rev:
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
    row = entry_row(entry, owner, batch.citizen_key, batch.now)
    old_key = group_of(stored)
    touched = {(stored.citizen_key, stored.period), (row["citizen_key"], row["period"])}
    batch.citizens.touch(session, touched)
    batch.deltas.move(EntryState.of(stored), None)
    stored.counted = False
    # A masked number (the laptop no longer holds it) leaves the stored citizen as it is.
    kept = ("citizen_key", "id_masked") if entry.keeps_number else ()
    for name in EDITABLE:
        if name not in kept:
            setattr(stored, name, row[name])
    if group_of(stored) != old_key:
        stored.received_at = batch.now  # a claim on another citizen or service starts now
    # A version sent again takes the laptop's rev, so sending it once more changes nothing.
    stored.rev = entry.rev if m.base_rev is None else stored.rev + 1
    stored.mutation_id = m.mutation_id
    stored.review_status = "pending"
    if checked.row is not None and checked.row["review_status"] == FLAGGED:
        stored.review_status = FLAGGED
        _review_flagged(session, [stored.id], batch)
    batch.deltas.move(None, EntryState.of(stored))
    session.flush()
    settlement = settle(session, {old_key, group_of(stored)}, batch.deltas)
    _settlement_changes(session, settlement.lost, settlement.gained, {stored.id}, batch)


_RESENT_SAME = ("service", "outcome", "reasons", "assisted_at", "citizen_key", "full_name")
"""Entry columns a mutation sent again must match (what the laptop alone decides)."""


def _check_resent(session: Session, device_id: str, resent: list[Checked], batch: Batch) -> None:
    """Mutations at or below the device's last id: acknowledged only if these very ones applied.

    A mutation id the server spent on other content (a forged bundle, a copied profile) is
    answered `rejected` with code `mutation.reused`, so the laptop keeps the entry and says
    so, and never takes it for stored. Rows written before the server kept `mutation_id`
    (NULL), and rows a later mutation of the same device has rewritten since, pass as before.
    """
    c = EntryRow.__table__.c
    ids = [item.entry_id for item in resent]
    stored: dict[str, Any] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(c.id, c.device_id, c.mutation_id, *(c[n] for n in _RESENT_SAME))
        for r in session.execute(query.where(c.id.in_(ids[start : start + CHUNK]))):
            stored[r[0]] = r
    numbers = [item.mutation.mutation_id for item in resent]
    kept = set(
        session.scalars(
            select(Conflict.mutation_id).where(
                Conflict.device_id == device_id, Conflict.mutation_id.in_(numbers)
            )
        )
    )
    for item in resent:
        m = item.mutation
        if m.mutation_id in kept:
            continue  # it was kept as an edit conflict the first time
        row = stored.get(item.entry_id)
        if row is not None and row[1] != device_id:
            batch.results[m.mutation_id] = rejected(m, error("entry.other_device", "id"))
        elif row is None or not _same_mutation(row, item):
            problem = error("mutation.reused", "id", mutation_id=str(m.mutation_id))
            batch.results[m.mutation_id] = rejected(m, problem)


def _same_mutation(row: Any, item: Checked) -> bool:
    """Whether a stored row (id, device, mutation id, _RESENT_SAME…) is what `item` wrote."""
    written_by = row[2]
    if written_by is None or written_by > item.mutation.mutation_id:
        return True
    if written_by < item.mutation.mutation_id or item.row is None:
        return False
    sent = item.row
    for name, value in zip(_RESENT_SAME, row[3:], strict=True):
        if name == "assisted_at":
            if value.astimezone(UTC) != sent[name].astimezone(UTC):
                return False
        elif value != sent[name]:
            return False
    return True


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


def _sequence(items: Sequence[Checked], last: int) -> tuple[list[Checked], int]:
    """Mutations in id order without repeats, and the new last id; raise on a gap."""
    ids = [item.mutation.mutation_id for item in items]
    if ids and ids[0] > last and ids == list(range(ids[0], ids[0] + len(ids))):
        # What a sync client sends: the next ids, in order (checked without sorting).
        if ids[0] != last + 1:
            raise MutationGap(last + 1)
        return list(items), ids[-1]
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


def ingest_prepared(session: Session, device: Device, admitted: Admitted) -> Ingested:
    """Apply an admitted batch inside the caller's transaction (which this takes the lock for)."""
    device_id = device.id  # read before the lock expires `device` (which would reload it)
    lock_writers(session)
    last = session.connection().execute(_LAST_MUTATION, {"device": device_id}).scalar()
    if last is None:
        raise LookupError(f"unknown device {device_id}")
    checked, new_last = _sequence(admitted.checked, last)
    batch = Batch(admitted.citizen_key, admitted.now, device_id=device_id)
    batch.flags = {c.entry_id: c.flag for c in checked if c.flag is not None}
    fresh = [c for c in checked if c.entry_id and c.mutation.mutation_id > last]
    resent = [c for c in checked if c.entry_id and c.row and c.mutation.mutation_id <= last]
    if resent:
        _check_resent(session, device_id, resent, batch)
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
        if c.keeps_number:  # an edit keeping a number the server never had: nothing to keep
            problem = error("id_number.kept_unknown", "id_number")
            batch.results[c.mutation.mutation_id] = rejected(c.mutation, problem)
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
        counting = batch.citizens.touch_new(session, rows)
        _insert_new(session, rows, params, names, batch, counting)
    for c in again:
        _apply_again(session, device, c, batch)
    batch.citizens.apply(session)
    batch.changes.extend(apply_deltas(session, batch.deltas))
    record_changes(session, batch.changes)
    # Every push moves the device's last sync, even one whose mutations were all seen before.
    session.connection().execute(
        _ADVANCE, {"device": device_id, "last": max(new_last, last), "at": admitted.now}
    )
    attributes.set_committed_value(device, "last_mutation_id", max(new_last, last))
    new = set(mutation_ids.values())
    return Ingested(
        last_mutation_id=new_last,
        server_epoch=server_epoch(session),
        order=[c.mutation.mutation_id for c in checked],
        decided=stored_results(session, checked, batch.results, new),
        rows=rows,
        mutation_ids=mutation_ids,
        holders=batch.holders,
    )
