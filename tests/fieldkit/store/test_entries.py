"""Saving, editing, finding entries: atomic saves, increasing mutation ids, search, paging."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fieldkit_store_helpers import id_number_for, make_entry

from fieldkit.domain import Entry
from fieldkit.domain.wire import ItemStatus, PushItemResult, PushResponse
from fieldkit.store import EntryFilter, EntryQuery, Store, StoreError, open_store
from fieldkit.store.records import EntryStatus, UnsentCounts


def test_save_returns_after_commit_and_survives_reopen(store: Store, home: Path) -> None:
    saved = store.save_entries([make_entry(), make_entry(service="dvc_account")])
    assert [s.mutation_id for s in saved] == [1, 2]
    other = open_store(home)  # a second connection sees the committed rows
    try:
        assert other.count_entries(EntryQuery()) == 2
        assert [m.mutation_id for m in other.pending_batch(10)] == [1, 2]
    finally:
        other.close()


def test_a_failing_save_leaves_neither_entries_nor_outbox_rows(store: Store) -> None:
    first = make_entry()
    store.save_entry(first)
    fresh = make_entry(service="dvc_account")
    with pytest.raises(StoreError) as info:
        store.save_entries([fresh, first])  # the second one already exists
    assert info.value.code == "entry.exists"
    assert store.get_entry(fresh.id) is None
    assert [m.mutation_id for m in store.pending_batch(10)] == [1]
    assert store.save_entry(make_entry()).mutation_id == 2  # no id was burnt by the failure


def test_mutation_ids_strictly_increase_even_after_the_outbox_empties(store: Store) -> None:
    from fieldkit.domain.wire import PushResponse

    ids = [s.mutation_id for s in store.save_entries([make_entry() for _ in range(3)])]
    store.apply_push_response(PushResponse(last_mutation_id=3, results=[], server_epoch="epoch-1"))
    assert store.pending_batch(10) == []
    ids.append(store.save_entry(make_entry()).mutation_id)
    entry = make_entry()
    ids.append(store.save_entry(entry).mutation_id)
    ids.append(store.update_entry(entry.model_copy(update={"note": "gọi lại"})).mutation_id)
    assert ids == sorted(set(ids)) and ids[3:] == [4, 5, 6]


def test_outbox_payload_is_a_valid_entry_the_server_can_parse(store: Store) -> None:
    entry = make_entry(reasons=["otp_not_received"], outcome="failed", phone="+84 912 345 678")
    store.save_entry(entry)
    (mutation,) = store.pending_batch(10)
    assert mutation.base_rev is None
    assert Entry.model_validate(mutation.entry) == entry
    assert mutation.entry["phone"] == "0912345678"


def test_update_bumps_rev_and_carries_base_rev(store: Store) -> None:
    entry = make_entry()
    store.save_entry(entry)
    saved = store.update_entry(entry.model_copy(update={"full_name": "Nguyễn Văn B"}))
    assert saved.rev == 2
    batch = store.pending_batch(10)
    assert [(m.base_rev, m.entry["rev"]) for m in batch] == [(None, 1), (1, 2)]
    row = store.get_entry(entry.id)
    assert row is not None and row.full_name == "Nguyễn Văn B" and row.rev == 2


def test_unsent_counts_citizens_and_their_entries_until_acknowledged(store: Store) -> None:
    an = [make_entry(service=s) for s in ("vneid_level1", "vneid_level2", "dvc_account")]
    store.save_entries(an)
    store.save_entry(make_entry(full_name="Trần Thị B", id_number=id_number_for(7)))
    assert store.unsent() == UnsentCounts(citizens=2, services=4)
    first = store.pending_batch(3)  # An's three services reach the server; one is refused
    statuses = [ItemStatus.ACCEPTED, ItemStatus.ACCEPTED, ItemStatus.REJECTED]
    results = [
        PushItemResult(mutation_id=m.mutation_id, status=status)
        for m, status in zip(first, statuses, strict=True)
    ]
    last = first[-1].mutation_id
    store.apply_push_response(
        PushResponse(last_mutation_id=last, results=results, server_epoch="e")
    )
    assert store.unsent() == UnsentCounts(citizens=1, services=1)
    row = store.get_entry(an[2].id)
    assert row is not None
    store.update_entry(row.to_entry().model_copy(update={"note": "sửa"}))  # An's, fixed
    assert store.unsent() == UnsentCounts(citizens=2, services=2)


def test_update_of_an_unknown_entry_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError) as info:
        store.update_entry(make_entry())
    assert info.value.code == "entry.unknown"
    assert "Không tìm thấy" in info.value.message("vi")


def test_search_ignores_diacritics_and_case(store: Store) -> None:
    store.save_entries(
        [
            make_entry(full_name="Nguyễn Văn A"),
            make_entry(full_name="Đặng Thị Đào", id_number=id_number_for(2), sex="female"),
            make_entry(full_name="Trần Văn C", id_number=id_number_for(3)),
        ]
    )

    def names(text: str) -> list[str]:
        return [r.full_name for r in store.query_entries(EntryQuery(search=text))]

    assert names("nguyen van a") == ["Nguyễn Văn A"]
    assert names("NGUYỄN") == ["Nguyễn Văn A"]
    assert names("dang thi dao") == ["Đặng Thị Đào"]
    assert sorted(names("van")) == ["Nguyễn Văn A", "Trần Văn C"]
    assert names("%") == [] and names("_") == []  # LIKE wildcards are plain text
    assert names("000003") == ["Trần Văn C"]  # digits search the number
    assert store.count_entries(EntryQuery(search="van")) == 2


def test_filters_and_paging(store: Store) -> None:
    now = datetime.now(UTC)
    old = [make_entry(assisted_at=now - timedelta(days=3, minutes=i)) for i in range(30)]
    new = [make_entry(assisted_at=now - timedelta(minutes=1 + i)) for i in range(5)]
    store.save_entries(old + new)
    assert store.count_entries(EntryQuery(filter=EntryFilter.TODAY)) <= 5
    assert store.count_entries(EntryQuery(filter=EntryFilter.PENDING)) == 35
    assert store.count_entries(EntryQuery(filter=EntryFilter.REJECTED)) == 0
    pages = [store.query_entries(EntryQuery(offset=o, limit=10)) for o in (0, 10, 20, 30)]
    ids = [r.id for page in pages for r in page]
    assert len(ids) == len(set(ids)) == 35
    times = [r.assisted_at for page in pages for r in page]
    assert times == sorted(times, reverse=True)


def test_hostile_query_values_are_clamped(store: Store) -> None:
    store.save_entry(make_entry())
    assert len(store.query_entries(EntryQuery(offset=-5, limit=-1))) == 1
    assert store.query_entries(EntryQuery(search="'; DROP TABLE entries; --")) == []
    assert store.count_entries(EntryQuery()) == 1


def test_already_helped_and_shared_phone(store: Store) -> None:
    assisted = datetime.now(UTC) - timedelta(hours=2)
    store.save_entry(make_entry(assisted_at=assisted))
    store.save_entry(make_entry(id_number=id_number_for(9)))
    store.save_entry(make_entry(service="dvc_account", outcome="failed", reasons=["no_network"]))
    when = store.already_helped("052 090 001 234", "vneid_level2")
    assert when is not None and abs(when - assisted) < timedelta(seconds=1)
    assert store.already_helped("052090001234", "dvc_account") is None  # failed is not helped
    assert store.already_helped("not a number", "vneid_level2") is None
    assert store.phone_use_count("+84912345678") == 2
    assert store.phone_use_count("0912345678", exclude_id_number="052090001234") == 1
    assert store.phone_use_count("garbage") == 0


def test_saves_from_a_worker_thread_and_the_main_thread_all_land(store: Store) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                store.save_entry(make_entry())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    for _ in range(20):
        store.save_entry(make_entry())
        store.count_entries(EntryQuery())
    worker.join()
    assert errors == []
    ids = [m.mutation_id for m in store.pending_batch(100)]
    assert ids == list(range(1, 41))


def test_rows_convert_back_to_entries_for_editing(store: Store) -> None:
    entry = make_entry(note="hẹn thứ hai", device_owner="relative")
    store.save_entry(entry)
    row = store.get_entry(entry.id)
    assert row is not None and row.editable and row.status is EntryStatus.PENDING
    assert row.to_entry() == entry


def test_get_entry_accepts_strings_and_unknown_ids(store: Store) -> None:
    assert store.get_entry("not-a-uuid") is None
