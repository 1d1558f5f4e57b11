"""The outbox meets the server: acks show numbers masked, rejections are listed, pulls are
atomic. (When the stored number itself is masked: test_masking.py.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fieldkit_store_helpers import VILLAGE, id_number_for, make_entry
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from fieldkit.domain.wire import (
    Change,
    DuplicateOf,
    ItemStatus,
    PullResponse,
    PushItemResult,
    PushResponse,
)
from fieldkit.store import EntryFilter, EntryQuery, Store
from fieldkit.store.models import ConflictRow, PulledRow
from fieldkit.store.records import EntryStatus

EPOCH = "epoch-1"


def push(last: int, *items: PushItemResult) -> PushResponse:
    return PushResponse(last_mutation_id=last, results=list(items), server_epoch=EPOCH)


def item(mutation_id: int, status: str, **extra: Any) -> PushItemResult:
    return PushItemResult(mutation_id=mutation_id, status=ItemStatus(status), **extra)


def page(changes: list[Change], cursor: int, epoch: str = EPOCH) -> PullResponse:
    return PullResponse(
        changes=changes, next_cursor=cursor, has_more=False, server_epoch=epoch, last_mutation_id=0
    )


def test_accepted_entries_show_a_masked_number_and_leave_the_outbox(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    assert store.apply_push_response(push(1, item(1, "accepted", rev=1))) == 1
    row = store.get_entry(entry.id)
    assert row is not None
    assert row.status is EntryStatus.ACKED and row.server_rev == 1
    assert row.id_number == "•••••••••234" and not row.editable
    assert store.pending_batch(10) == [] and store.last_mutation_id() == 1
    assert store.already_helped("052090001234", "vneid_level2") is not None  # keyed hash stays


def test_rows_above_the_acknowledged_id_stay_queued(store: Store) -> None:
    store.save_entries([make_entry(), make_entry(id_number=id_number_for(5))])
    store.apply_push_response(push(1, item(1, "accepted"), item(2, "accepted")))
    assert [m.mutation_id for m in store.pending_batch(10)] == [2]


def test_rows_below_the_ack_without_an_item_count_as_accepted(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    store.apply_push_response(push(1))
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.ACKED


def test_rejected_entries_keep_their_number_and_are_listed_for_ever(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    store.apply_push_response(
        push(1, item(1, "rejected", code="village.not_yours", message="Thôn không thuộc tổ"))
    )
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.REJECTED
    assert row.id_number == "052090001234" and row.reject_code == "village.not_yours"
    assert store.count_entries(EntryQuery(filter=EntryFilter.REJECTED)) == 1
    assert store.status().rejected == 1
    # The volunteer fixes it: a new mutation, based on the rejected revision.
    fixed = store.update_entry(row.to_entry().model_copy(update={"village": "21001-2"}))
    assert fixed.mutation_id == 2 and fixed.rev == 2
    (mutation,) = store.pending_batch(10)
    assert mutation.base_rev == 1 and mutation.entry["village"] == "21001-2"
    assert store.get_entry(entry.id).status is EntryStatus.PENDING  # type: ignore[union-attr]
    store.apply_push_response(push(2, item(2, "accepted", rev=2)))
    listed = store.rejected_items(entry.id)
    assert [(r.mutation_id, r.code) for r in listed] == [(1, "village.not_yours")]
    assert store.status().rejected == 0


def test_duplicates_say_where_and_when(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    when = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    dup = DuplicateOf(village="21001-2", village_name="Thôn Hai", assisted_at=when)
    store.apply_push_response(push(1, item(1, "duplicate", duplicate_of=dup)))
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.DUPLICATE
    assert (row.duplicate_village, row.duplicate_village_name) == ("21001-2", "Thôn Hai")
    assert row.duplicate_at == when and row.id_number == "•••••••••234"
    assert store.status().duplicates == 1


def test_an_ack_does_not_mask_while_a_later_edit_is_queued(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    store.update_entry(entry.model_copy(update={"note": "đã gọi"}))
    store.apply_push_response(push(1, item(1, "accepted", rev=1)))
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.PENDING
    assert row.id_number == "052090001234"
    store.apply_push_response(push(2, item(2, "accepted", rev=2)))
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.ACKED and not row.editable


def test_pull_page_stores_changes_and_cursor(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    store.apply_push_response(push(1, item(1, "accepted")))
    tally = {
        "unit_code": VILLAGE,
        "service": "vneid_level2",
        "period": _period(),
        "quota": 10,
        "achieved": 3,
    }
    store.apply_pull_page(
        page(
            [
                Change(
                    seq=5,
                    kind="review",
                    key=str(entry.id),
                    data={"decision": "has_issues", "reason": "Ảnh mờ", "at": _now()},
                ),
                Change(seq=6, kind="tally", key=f"{VILLAGE}|vneid_level2", data=tally),
                Change(
                    seq=7,
                    kind="service",
                    key="new_app",
                    data={
                        "code": "new_app",
                        "label_vi": "Ứng dụng mới",
                        "label_en": "New app",
                        "counts_toward_quota": True,
                    },
                ),
                Change(seq=8, kind="something_new", key="x", data={"a": 1}),
            ],
            cursor=8,
        )
    )
    assert store.cursor() == 8
    row = store.get_entry(entry.id)
    assert row is not None and row.review_decision == "has_issues" and row.review_reason == "Ảnh mờ"
    assert "new_app" in {s.code for s in store.services()}
    progress = {(p.village, p.service): p for p in store.status().villages}
    level2 = progress[(VILLAGE, "vneid_level2")]
    assert (level2.quota, level2.achieved_synced, level2.local_unsynced) == (10, 3, 0)
    store.save_entry(make_entry(id_number=id_number_for(77)))
    level2 = {(p.village, p.service): p for p in store.status().villages}[(VILLAGE, "vneid_level2")]
    assert level2.achieved == 4 and level2.percentage == pytest.approx(40.0)


def test_a_page_that_fails_to_apply_changes_nothing(store: Store) -> None:
    store.apply_pull_page(page([Change(seq=1, kind="quota", key="a", data={"t": 1})], cursor=1))
    bad = page(
        [
            Change(seq=2, kind="quota", key="b", data={"t": 2}),
            Change(seq=3, kind="quota", key="c", data={"t": object()}),  # not storable
        ],
        cursor=3,
    )
    with pytest.raises(StatementError):
        store.apply_pull_page(bad)
    assert store.cursor() == 1
    with store._read() as session:
        keys = set(session.scalars(select(PulledRow.key)))
    assert keys == {"a"}


def test_a_pull_never_overwrites_an_entry_with_a_pending_mutation(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    change = Change(
        seq=9,
        kind="entry_status",
        key=str(entry.id),
        data={"status": "rejected", "code": "x", "message": "no"},
    )
    store.apply_pull_page(page([change], cursor=9))
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.PENDING and row.editable
    with store._read() as session:
        conflicts = list(session.scalars(select(ConflictRow)))
    assert len(conflicts) == 1 and conflicts[0].data["server"]["status"] == "rejected"
    assert conflicts[0].data["local_rev"] == 1  # the loser is kept, the local edit wins
    assert len(store.pending_batch(10)) == 1


def test_a_pulled_status_applies_to_a_synced_entry(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    store.apply_push_response(push(1, item(1, "accepted")))
    change = Change(
        seq=3,
        kind="entry_status",
        key=str(entry.id),
        data={
            "status": "duplicate",
            "rev": 4,
            "duplicate_of": {"village": "21001-2", "assisted_at": "2026-01-02T03:04:05+07:00"},
        },
    )
    store.apply_pull_page(page([change], cursor=3))
    row = store.get_entry(entry.id)
    assert row is not None and row.status is EntryStatus.DUPLICATE and row.server_rev == 4
    assert row.duplicate_village == "21001-2"


def test_pulled_changes_for_unknown_entries_are_kept_but_harmless(store: Store) -> None:
    change = Change(seq=1, kind="review", key=str(uuid.uuid4()), data={"decision": "approved"})
    store.apply_pull_page(page([change], cursor=1))
    assert store.cursor() == 1 and store.count_entries(EntryQuery()) == 0


def test_epoch_reset_restarts_the_cursor_and_requeues_what_is_not_masked(store: Store) -> None:
    acked, pending = make_entry(), make_entry(id_number=id_number_for(4))
    masked = make_entry(id_number=id_number_for(5))
    store.save_entries([masked])
    store.apply_push_response(push(1, item(1, "accepted", rev=1)))
    store.mask_acknowledged(datetime.now(UTC) + timedelta(seconds=1))  # a confirming sync
    store.save_entries([acked, pending])
    store.apply_push_response(push(2, item(2, "accepted", rev=1)))
    store.apply_pull_page(page([], cursor=40))
    requeued = store.reset_for_epoch("epoch-2")
    # The pending one is still queued; the acknowledged one still has its full number, so it
    # goes back (the restore may have lost it); the masked one is the server's for good.
    assert requeued == 1
    assert store.cursor() == 0 and store.server_epoch() == "epoch-2"
    batch = store.pending_batch(10)
    assert [m.entry["id"] for m in batch] == [str(pending.id), str(acked.id)]
    assert batch[1].entry["id_number"] == acked.id_number and batch[1].base_rev is None
    row = store.get_entry(acked.id)
    assert row is not None and row.status is EntryStatus.PENDING and row.server_rev is None
    # The restored server expects an earlier id: the outbox is renumbered, ids stay increasing.
    assert store.renumber_outbox(1) == 2
    assert [m.mutation_id for m in store.pending_batch(10)] == [1, 2]
    assert store.save_entry(make_entry(id_number=id_number_for(6))).mutation_id == 3


def test_epoch_reset_requeues_unmasked_entries_without_an_outbox_row(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    with store._write() as session:  # a row acknowledged by the old server, number still full
        from fieldkit.store.models import EntryRecord, OutboxRow

        for row in session.scalars(select(OutboxRow)):
            session.delete(row)
        record = session.get(EntryRecord, str(entry.id))
        assert record is not None
        record.status = EntryStatus.ACKED.value
    assert store.reset_for_epoch("epoch-2") == 1
    (mutation,) = store.pending_batch(10)
    assert mutation.entry["id_number"] == "052090001234" and mutation.mutation_id == 2


def test_retention_erases_personal_data_but_keeps_counts(store: Store) -> None:
    now = datetime.now(UTC)
    old, recent = make_entry(assisted_at=now - timedelta(days=100)), make_entry()
    old_pending = make_entry(assisted_at=now - timedelta(days=100), id_number=id_number_for(8))
    store.save_entries([old, recent, old_pending])
    store.apply_push_response(push(2, item(1, "accepted"), item(2, "accepted")))
    assert store.erase_expired(90) == 0  # not before a later sync confirmed the server has it
    store.mask_acknowledged(datetime.now(UTC) + timedelta(days=1))
    assert store.erase_expired(90) == 1
    erased = store.get_entry(old.id)
    assert erased is not None and erased.erased
    assert (erased.full_name, erased.phone, erased.note) == ("", None, "")
    assert "052" not in erased.id_number
    kept = store.get_entry(old_pending.id)
    assert kept is not None and kept.full_name == "Nguyễn Văn A" and not kept.erased
    assert store.count_entries(EntryQuery()) == 3
    assert store.query_entries(EntryQuery(search="nguyen"))[0].id != old.id
    assert store.erase_expired(90) == 0
    with store._read() as session:
        from fieldkit.store.models import EntryRecord

        assert session.scalar(select(func.count()).select_from(EntryRecord)) == 3


def test_sync_outcomes_are_recorded_for_status(store: Store) -> None:
    store.record_sync(error="Không kết nối được máy chủ")
    status = store.status()
    assert status.last_error == "Không kết nối được máy chủ" and status.last_sync_at is None
    store.record_sync()
    status = store.status()
    assert status.last_error is None and status.last_sync_at is not None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _period() -> str:
    from fieldkit.domain import period_of

    return period_of(datetime.now(UTC))


def test_retention_also_drops_conflicts_of_erased_entries(store: Store) -> None:
    entry = make_entry(assisted_at=datetime.now(UTC) - timedelta(days=200))
    store.save_entry(entry)
    change = Change(seq=2, kind="entry_status", key=str(entry.id), data={"status": "accepted"})
    store.apply_pull_page(page([change], cursor=2))
    store.apply_push_response(push(1, item(1, "accepted")))
    with store._read() as session:
        assert len(list(session.scalars(select(ConflictRow)))) == 1
    store.mask_acknowledged(datetime.now(UTC) + timedelta(days=1))
    assert store.erase_expired(30) == 1
    with store._read() as session:
        assert list(session.scalars(select(ConflictRow))) == []


def test_pulled_quotas_set_the_village_target(store: Store) -> None:
    period = _period()
    quota = {"unit_code": VILLAGE, "service": "vneid_level2", "period": period, "target": 40}
    store.save_entry(make_entry())
    store.apply_pull_page(
        page([Change(seq=1, kind="quota", key=f"{VILLAGE}:vneid_level2:{period}", data=quota)], 1)
    )
    level2 = {(p.village, p.service): p for p in store.status().villages}[(VILLAGE, "vneid_level2")]
    assert (level2.quota, level2.achieved) == (40, 1)
    assert level2.percentage == pytest.approx(2.5)
    assert [q.target for q in store.quotas()] == [40]
    newer = {**quota, "target": 50}
    store.apply_pull_page(
        page([Change(seq=2, kind="quota", key=f"{VILLAGE}:vneid_level2:{period}", data=newer)], 2)
    )
    level2 = {(p.village, p.service): p for p in store.status().villages}[(VILLAGE, "vneid_level2")]
    assert level2.quota == 50
