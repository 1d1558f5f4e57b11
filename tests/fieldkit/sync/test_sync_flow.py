"""sync_once against the real server over HTTP: push before pull, acks, rejects, duplicates."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sync_chaos
from sqlalchemy import select
from sync_chaos import VILLAGE_A, VILLAGE_B, Served, make_entry, server_entries

from fieldkit.domain import VIETNAM_TZ, is_masked
from fieldkit.store import EntryFilter, EntryQuery, EntryStatus, Store
from fieldkit.store.models import EntryRecord
from fieldkit.sync import RetryPolicy, SyncError, reachable, sync_once
from fieldkit.sync.transport import make_client
from sync_server.api.app import create_app
from sync_server.settings import get_settings

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


def test_happy_path_pushes_then_pulls_and_masks(served: Served) -> None:
    store = served.laptop(VILLAGE_A)
    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(3)])
    calls: list[tuple[int, int]] = []
    report = sync_once(store, progress=lambda done, total: calls.append((done, total)))
    assert (report.pushed, report.accepted, report.duplicates, report.rejected) == (3, 3, 0, 0)
    assert report.pulled > 0  # the catalogue, the village and the tallies
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    assert store.pending_count() == 0
    on_server = server_entries(served.db_url)
    assert {str(s.entry_id) for s in saved} == set(on_server)
    for s in saved:
        row = store.get_entry(s.entry_id)
        assert row is not None and row.status is EntryStatus.ACKED
        assert is_masked(row.id_number)
    assert sync_chaos.province_achieved(served.db_url) == 3
    assert store.status().last_error is None and store.status().last_sync_at is not None
    again = sync_once(store)
    assert (again.pushed, again.pulled) == (0, 0)
    assert store.cursor() > 0
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_batches_keep_order_and_count(served: Served) -> None:
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A) for _ in range(7)])
    report = sync_once(store, batch_size=3)
    assert (report.batches, report.pushed, report.accepted) == (3, 7, 7)
    assert len(server_entries(served.db_url)) == 7


def test_rejected_items_move_aside_and_do_not_block(served: Served) -> None:
    store = served.laptop(VILLAGE_A)
    good = store.save_entries([make_entry(VILLAGE_A)])
    bad = store.save_entries([make_entry(VILLAGE_B)])  # not this team's village
    later = store.save_entries([make_entry(VILLAGE_A)])
    report = sync_once(store)
    assert (report.accepted, report.rejected) == (2, 1)
    rejected = [i for i in report.items if i.status == "rejected"]
    assert rejected[0].code == "village.not_yours"
    assert store.pending_count() == 0
    row = store.get_entry(bad[0].entry_id)
    assert row is not None and row.status is EntryStatus.REJECTED
    assert not is_masked(row.id_number)  # kept whole so the volunteer can fix it
    assert [r.entry_id for r in store.rejected_items()] == [bad[0].entry_id]
    assert set(server_entries(served.db_url)) == {
        str(good[0].entry_id),
        str(later[0].entry_id),
    }
    # Fixing it (a village of the team) sends it again and it is accepted.
    fixed = row.to_entry().model_copy(update={"village": VILLAGE_A})
    store.update_entry(fixed)
    assert sync_once(store).accepted == 1
    assert str(bad[0].entry_id) in server_entries(served.db_url)
    assert store.rejected_items()  # the history of the refusal is never deleted


def test_duplicate_across_two_communes_counts_once_and_tells_only_the_day(
    served: Served,
) -> None:
    first = served.laptop(VILLAGE_A, "Lê Văn Cường")
    second = served.laptop(VILLAGE_B, "Phạm Thị Dung")
    citizen = sync_chaos.id_number(1990)
    when = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    a = first.save_entries([make_entry(VILLAGE_A, id_number=citizen, assisted_at=when)])
    b = second.save_entries(
        [make_entry(VILLAGE_B, id_number=citizen, assisted_at=when + timedelta(days=2))]
    )
    sync_once(first)
    report = sync_once(second)
    assert (report.accepted, report.duplicates) == (0, 1)
    item = report.items[0]
    # Another commune: no entry id, no village, no time; only since which day.
    assert item.duplicate_of is not None and item.duplicate_of.village == ""
    assert item.duplicate_of.entry_id is None
    row = second.get_entry(b[0].entry_id)
    assert row is not None and row.status is EntryStatus.DUPLICATE
    assert not row.duplicate_village and not row.duplicate_village_name
    assert row.duplicate_at is not None
    local = row.duplicate_at.astimezone(VIETNAM_TZ)
    assert local.date() == when.astimezone(VIETNAM_TZ).date() and local.hour == 0
    assert second.count_entries(EntryQuery(filter=EntryFilter.DUPLICATE)) == 1
    assert first.get_entry(a[0].entry_id).status is EntryStatus.ACKED  # type: ignore[union-attr]
    assert sync_chaos.province_achieved(served.db_url) == 1
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_an_earlier_visit_synced_later_does_not_take_the_count(served: Served) -> None:
    """The first success the server received counts; the other laptop learns it is a duplicate."""
    first = served.laptop(VILLAGE_A, "Lê Văn Cường")
    second = served.laptop(VILLAGE_B, "Phạm Thị Dung")
    citizen = sync_chaos.id_number(1988)
    when = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    a = first.save_entries([make_entry(VILLAGE_A, id_number=citizen, assisted_at=when)])
    b = second.save_entries(
        [make_entry(VILLAGE_B, id_number=citizen, assisted_at=when - timedelta(days=1))]
    )
    assert sync_once(first).accepted == 1
    assert sync_once(second).duplicates == 1  # claims an earlier time, but arrived later
    sync_once(first)
    row = first.get_entry(a[0].entry_id)
    assert row is not None and row.status is EntryStatus.ACKED
    other = second.get_entry(b[0].entry_id)
    assert other is not None and other.status is EntryStatus.DUPLICATE
    assert not other.duplicate_village  # another commune's: only the day
    assert other.duplicate_at is not None
    assert other.duplicate_at.astimezone(VIETNAM_TZ).date() == date(2026, 3, 14)
    assert sync_chaos.province_achieved(served.db_url) == 1
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_revoked_device_gets_a_clear_error_and_keeps_its_outbox(served: Served) -> None:
    from sync_server.services import devices

    store = served.laptop(VILLAGE_A)
    acked = store.save_entries([make_entry(VILLAGE_A)])
    sync_once(store)  # acknowledged: the full number stays until a confirming sync
    row = store.get_entry(acked[0].entry_id)
    assert row is not None and row.status is EntryStatus.ACKED
    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    with served.session() as session:
        devices.revoke(session, store.profile.device_id)
        session.commit()
    with pytest.raises(SyncError) as caught:
        sync_once(store, policy=FAST)
    assert caught.value.code == "revoked"
    assert "thu hồi" in caught.value.message("vi")
    assert store.pending_count() == 2
    assert store.status().last_error == caught.value.message("vi")
    assert set(server_entries(served.db_url)) == {str(acked[0].entry_id)}
    # Revoked for good (401 token_revoked): no full number stays on the laptop.
    with store._read() as session:
        numbers = list(session.scalars(select(EntryRecord.id_number)))
    assert len(numbers) == 3 and all(is_masked(n) for n in numbers)
    assert {str(s.entry_id) for s in saved} <= {
        str(r.id) for r in store.query_entries(EntryQuery())
    }


def test_unreachable_server_keeps_everything(served: Served) -> None:
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A)])
    sleeps: list[float] = []
    dead = make_client("http://127.0.0.1:9", store.profile.token)
    policy = RetryPolicy(max_attempts=3, sleep=sleeps.append)
    with pytest.raises(SyncError) as caught:
        sync_once(store, client=dead, policy=policy)
    dead.close()
    assert caught.value.code == "unreachable"
    assert "Không kết nối được máy chủ" in caught.value.message("vi")
    assert len(sleeps) == 2
    assert store.pending_count() == 1
    assert reachable(served.url) and not reachable("http://127.0.0.1:9", timeout=0.5)


def test_batch_too_large_for_the_server_is_split(served: Served, tmp_path: Path) -> None:
    small = get_settings(database_url=served.db_url, data_dir=tmp_path, max_body_bytes=3000)
    strict = sync_chaos.ServerThread(create_app(small)).start()
    try:
        store = served.laptop(VILLAGE_A)
        saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(20)])
        with httpx.Client(base_url=strict.url) as client:
            report = sync_once(store, client=client, batch_size=20)
    finally:
        strict.stop()
    assert report.accepted == 20 and report.batches > 1
    assert set(server_entries(served.db_url)) == {str(s.entry_id) for s in saved}


def test_two_syncs_of_one_laptop_at_once_and_saving_meanwhile(served: Served) -> None:
    first = served.laptop(VILLAGE_A)
    second = Store(first.path)  # the TUI's background sync and `fieldkit sync` in a terminal
    saved = first.save_entries([make_entry(VILLAGE_A) for _ in range(40)])
    errors: list[BaseException] = []
    go = threading.Barrier(3)

    def run(store: Store) -> None:
        go.wait()
        try:
            sync_once(store, batch_size=4)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    go.wait()
    more = [first.save_entries([make_entry(VILLAGE_A)])[0] for _ in range(10)]
    for thread in threads:
        thread.join()
    second.close()
    assert errors == []
    sync_once(first)
    assert first.pending_count() == 0
    on_server = server_entries(served.db_url)
    assert set(on_server) == {str(s.entry_id) for s in saved + more}
    assert all(rev == 1 for _, rev, _ in on_server.values())
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_an_entry_flagged_on_arrival_reaches_the_volunteer(served: Served) -> None:
    """Dated before the laptop's enrollment: flagged for review, and the laptop is told why."""
    store = served.laptop(VILLAGE_A)
    backdated = make_entry(VILLAGE_A, assisted_at=datetime.now(UTC) - timedelta(days=30))
    recent = make_entry(VILLAGE_A)
    store.save_entries([backdated, recent])
    sync_once(store)
    flagged, fine = store.get_entry(backdated.id), store.get_entry(recent.id)
    assert flagged is not None and fine is not None
    assert flagged.review_decision == "has_issues"
    assert flagged.review_reason and "trước khi máy tính này được đăng ký" in flagged.review_reason
    assert fine.review_decision is None
