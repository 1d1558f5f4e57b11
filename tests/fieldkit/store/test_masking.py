"""The masking rule: an acknowledged entry keeps its full number (shown masked) until a later
sync past the grace period confirms the server kept it; only then is the stored number masked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fieldkit_store_helpers import id_number_for, make_entry
from sqlalchemy import select

from fieldkit.domain import Entry
from fieldkit.domain.wire import Change, ItemStatus, PullResponse, PushItemResult, PushResponse
from fieldkit.store import EntryFilter, EntryQuery, Store, StoreError
from fieldkit.store.models import ConflictRow, EntryRecord, OutboxRow
from fieldkit.store.records import EntryStatus
from fieldkit.store.store import SCHEMA_VERSION

EPOCH = "epoch-1"
NUMBER = "052090001234"
SHOWN = "•••••••••234"


def ack(store: Store, last: int, *statuses: tuple[int, str]) -> None:
    items = [
        PushItemResult(mutation_id=m, status=ItemStatus(s), rev=1)
        if s != "rejected"
        else PushItemResult(mutation_id=m, status=ItemStatus(s), code="x", message="không")
        for m, s in statuses
    ]
    store.apply_push_response(
        PushResponse(last_mutation_id=last, results=items, server_epoch=EPOCH)
    )


def stored(store: Store, entry: Entry) -> tuple[str, datetime]:
    """The number as the laptop's file holds it, and the entry's updated_at (its ack time)."""
    with store._read() as session:
        record = session.get(EntryRecord, str(entry.id))
        assert record is not None
        return record.id_number, record.updated_at


def later(moment: datetime, **delta: Any) -> datetime:
    return moment + timedelta(**delta)


def test_an_ack_keeps_the_full_number_but_shows_it_masked(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    ack(store, 1, (1, "accepted"))
    number, acked_at = stored(store, entry)
    assert number == NUMBER
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.ACKED
    assert row.id_number == SHOWN and not row.editable
    with pytest.raises(StoreError):
        row.to_entry()
    assert [r.id_number for r in store.query_entries(EntryQuery())] == [SHOWN]
    # A search by digits finds what the list shows, not the number kept behind it.
    assert store.count_entries(EntryQuery(search="0900012")) == 0
    assert store.count_entries(EntryQuery(search="234")) == 1
    assert store.count_entries(EntryQuery(search="052")) == 0  # the mask hides the prefix
    assert abs(acked_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_masked_only_by_a_confirmation_past_the_ack(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    ack(store, 1, (1, "duplicate"))
    _, acked_at = stored(store, entry)
    assert store.mask_acknowledged(acked_at) == 0  # not before (or at) the ack
    assert stored(store, entry)[0] == NUMBER
    assert store.mask_acknowledged(later(acked_at, microseconds=1)) == 1
    assert stored(store, entry)[0] == SHOWN
    row = store.get_entry(entry.id)
    assert row is not None and row.id_number == SHOWN and row.status is EntryStatus.DUPLICATE
    assert store.mask_acknowledged(later(acked_at, days=1)) == 0  # once
    assert store.already_helped(NUMBER, "vneid_level2") is not None  # the keyed hash stays


def test_what_is_not_acknowledged_keeps_its_number(store: Store) -> None:
    pending, rejected, edited = (make_entry(id_number=id_number_for(i)) for i in (1, 2, 3))
    store.save_entries([rejected, edited, pending])
    store.update_entry(edited.model_copy(update={"note": "sửa"}))  # mutation 4
    ack(store, 2, (1, "rejected"), (2, "accepted"))  # edited: accepted, its edit still queued
    assert store.mask_acknowledged(datetime.now(UTC) + timedelta(days=1)) == 0
    for entry in (pending, rejected, edited):
        assert stored(store, entry)[0] == entry.id_number
    assert store.get_entry(edited.id).editable  # type: ignore[union-attr]
    assert store.get_entry(rejected.id).editable  # type: ignore[union-attr]


def test_erased_entries_are_left_alone(store: Store) -> None:
    old = make_entry(assisted_at=datetime.now(UTC) - timedelta(days=200))
    store.save_entry(old)
    ack(store, 1, (1, "accepted"))
    assert store.erase_expired(90) == 0  # retention waits for the confirmation
    assert stored(store, old)[0] == NUMBER
    assert store.mask_acknowledged(datetime.now(UTC) + timedelta(days=1)) == 1
    assert store.erase_expired(90) == 1
    assert store.mask_acknowledged(datetime.now(UTC) + timedelta(days=1)) == 0
    assert stored(store, old)[0] == "•" * 12


def test_a_pulled_status_moves_the_ack_time_later(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    ack(store, 1, (1, "accepted"))
    _, acked_at = stored(store, entry)
    change = Change(seq=3, kind="entry_status", key=str(entry.id), data={"status": "duplicate"})
    store.apply_pull_page(
        PullResponse(
            changes=[change], next_cursor=3, has_more=False, server_epoch=EPOCH, last_mutation_id=1
        )
    )
    number, updated = stored(store, entry)
    assert number == NUMBER and updated > acked_at
    assert store.mask_acknowledged(later(acked_at, microseconds=1)) == 0
    assert store.mask_acknowledged(later(updated, microseconds=1)) == 1


def test_a_pulled_refusal_of_an_acknowledged_entry_masks_it(store: Store) -> None:
    # A refused entry is returned to its volunteer: every field but the number can be fixed
    # (the edit keeps the masked number and the server keeps its own).
    entry = make_entry()
    store.save_entry(entry)
    ack(store, 1, (1, "accepted"))
    change = Change(seq=3, kind="entry_status", key=str(entry.id), data={"status": "rejected"})
    store.apply_pull_page(
        PullResponse(
            changes=[change], next_cursor=3, has_more=False, server_epoch=EPOCH, last_mutation_id=1
        )
    )
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.REJECTED
    assert row.editable and not row.number_editable
    assert row.to_entry().id_number == SHOWN
    assert stored(store, entry)[0] == SHOWN


def test_a_reset_requeues_acknowledged_entries_until_they_are_masked(store: Store) -> None:
    first, second = make_entry(), make_entry(id_number=id_number_for(9))
    store.save_entries([first, second])
    ack(store, 2, (1, "accepted"), (2, "accepted"))
    _, first_acked = stored(store, first)
    store.mask_acknowledged(later(first_acked, microseconds=1))  # both were acked together
    assert store.reset_for_epoch("epoch-2") == 0
    third = make_entry(id_number=id_number_for(10))
    store.save_entry(third)
    ack(store, 3, (3, "accepted"))
    assert store.reset_for_epoch("epoch-3") == 1
    (mutation,) = store.pending_batch(10)
    assert mutation.entry["id"] == str(third.id)
    assert mutation.entry["id_number"] == third.id_number
    assert store.count_entries(EntryQuery(filter=EntryFilter.PENDING)) == 1
    progress = {(p.village, p.service): p for p in store.status().villages}
    assert progress[("21001-1", "vneid_level2")].local_unsynced == 1  # counted here again
    # While it waits for the restored server it is pending, shown and editable like any other.
    row = store.get_entry(third.id)
    assert row is not None and row.id_number == third.id_number and row.editable


def test_the_number_survives_reopening_the_store(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    ack(store, 1, (1, "accepted"))
    path = store.path
    store.close()
    with Store(path) as again:  # nothing happens at start: only a sync masks
        assert stored(again, entry)[0] == NUMBER
        with again._read() as session:
            assert session.scalar(select(EntryRecord.status)) == EntryStatus.ACKED.value


def test_opening_an_older_store_shortens_its_masks(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    with store._write() as session:
        record = session.get(EntryRecord, str(entry.id))
        assert record is not None
        record.id_number = "052••••••234"  # as versions before schema 2 masked it
        session.add(
            ConflictRow(
                entry_id=str(entry.id),
                seq=1,
                kind="entry",
                data={"id_number": "052••••••234"},
                at=datetime.now(UTC),
            )
        )
        session.connection().exec_driver_sql("PRAGMA user_version=1")
    store.close()
    with Store(store.path) as again:
        assert stored(again, entry)[0] == SHOWN
        with again._read() as session:
            conflict = session.scalars(select(ConflictRow)).one()
            assert conflict.data["id_number"] == SHOWN
            version = session.connection().exec_driver_sql("PRAGMA user_version").scalar()
            assert version == SCHEMA_VERSION


def outbox_number(store: Store, entry: Entry) -> str | None:
    with store._read() as session:
        payload = session.scalars(
            select(OutboxRow.payload).where(OutboxRow.entry_id == str(entry.id))
        ).first()
        return None if payload is None else str(payload["id_number"])


def test_a_revoked_laptop_forgets_every_full_number(store: Store) -> None:
    acked, pending = make_entry(), make_entry(id_number="052195004321")
    store.save_entry(acked)
    ack(store, 1, (1, "accepted"))
    store.save_entry(pending)
    assert stored(store, acked)[0] == NUMBER and outbox_number(store, pending) == "052195004321"
    assert store.forget_revoked() == 2
    assert stored(store, acked)[0] == SHOWN
    assert stored(store, pending)[0] == "•••••••••321"
    assert outbox_number(store, pending) == "•••••••••321"  # not in the queued payload either
    with store._read() as session:
        assert set(session.scalars(select(EntryRecord.id_key))) == {None}
    assert store.pending_count() == 1  # the entries themselves stay


def test_numbers_kept_past_their_limit_are_masked_whatever_the_sync_state(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    ack(store, 1, (1, "accepted"))  # acknowledged, but no later sync ever confirms it
    acked_at = stored(store, entry)[1]
    grace = timedelta(minutes=15)
    assert store.mask_overdue(grace, 90, now=later(acked_at, days=6)) == 0
    assert stored(store, entry)[0] == NUMBER
    assert store.mask_overdue(grace, 90, now=later(acked_at, days=7, minutes=16)) == 1
    assert stored(store, entry)[0] == SHOWN
    # Never sent at all, kept longer than the retention period: masked too.
    waiting = make_entry(id_number="052195004321")
    store.save_entry(waiting)
    assert store.mask_overdue(grace, 90, now=datetime.now(UTC) + timedelta(days=89)) == 0
    assert store.mask_overdue(grace, 90, now=datetime.now(UTC) + timedelta(days=91)) == 1
    assert stored(store, waiting)[0] == "•••••••••321"
    assert outbox_number(store, waiting) == "•••••••••321"
