"""A server restored from backup (new epoch): the laptop resets, renumbers and re-pushes every
entry it still holds whole, acknowledged ones included (they are masked only after a later
same-epoch sync past the grace period)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sync_chaos
from sqlalchemy import select
from sync_chaos import VILLAGE_A, VILLAGE_A2, Fault, FaultProxy, Served, make_entry, server_entries

from fieldkit.domain import is_masked
from fieldkit.store import SavedEntry, Store
from fieldkit.store.models import EntryRecord
from fieldkit.sync import RetryPolicy, SyncError, sync_once


def whole_numbers(store: Store) -> set[str]:
    """Ids of the entries whose full identity number the laptop's file still holds."""
    with store._read() as session:
        rows = session.execute(select(EntryRecord.id, EntryRecord.id_number))
        return {entry_id for entry_id, number in rows if not is_masked(number)}


def ids(saved: list[SavedEntry]) -> set[str]:
    return {str(s.entry_id) for s in saved}


def test_restore_renumbers_the_outbox_and_resends_what_it_lost(
    served: Served, tmp_path: Path
) -> None:
    store = served.laptop(VILLAGE_A)
    before = store.save_entries([make_entry(VILLAGE_A) for _ in range(3)])
    sync_once(store)
    backup = tmp_path / "backup.sqlite3"
    sync_chaos.backup_sqlite(served.db_url, backup)
    after_backup = store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    sync_once(store)  # acknowledged, then lost by the restore below
    waiting = store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    assert [w.mutation_id for w in waiting] == [6, 7]
    assert whole_numbers(store) == ids(before + after_backup + waiting)
    sync_chaos.restore_sqlite(served.db_url, backup, "restored-1")

    # Even with no grace at all, a sync that meets a restored server masks nothing.
    report = sync_once(store, mask_after=timedelta(0))

    assert report.epoch_reset and store.server_epoch() == "restored-1"
    assert report.masked == 0 and whole_numbers(store) == ids(before + after_backup + waiting)
    # Everything the laptop still had whole went again: the 3 the restored server kept
    # (idempotent), the 2 it lost and the 2 that were waiting.
    assert (report.pushed, report.accepted) == (7, 7)
    on_server = server_entries(served.db_url)
    assert set(on_server) == ids(before + after_backup + waiting)
    assert all(rev == 1 for _, rev, _ in on_server.values())
    assert store.last_mutation_id() == 10  # renumbered from the 4 the server expected
    assert store.pending_count() == 0
    assert store.cursor() > 0
    assert sync_chaos.province_achieved(served.db_url) == 7
    assert sync_chaos.recount_mismatches(served.db_url) == []
    # The next save continues the renumbered sequence without a gap.
    store.save_entries([make_entry(VILLAGE_A)])
    again = sync_once(store)
    assert (again.accepted, again.epoch_reset, again.masked) == (1, False, 0)  # 15 min grace
    # A later sync with no grace confirms the restored server kept them: now they are masked.
    confirmed = sync_once(store, mask_after=timedelta(0))
    assert (confirmed.pushed, confirmed.masked) == (0, 8) and whole_numbers(store) == set()
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_restore_noticed_by_pull_when_nothing_is_pending(served: Served, tmp_path: Path) -> None:
    store = served.laptop(VILLAGE_A2)
    kept = store.save_entries([make_entry(VILLAGE_A2) for _ in range(2)])
    sync_once(store)
    backup = tmp_path / "backup.sqlite3"
    sync_chaos.backup_sqlite(served.db_url, backup)
    lost = store.save_entries([make_entry(VILLAGE_A2)])
    sync_once(store)
    sync_chaos.restore_sqlite(served.db_url, backup, "restored-2")
    assert str(lost[0].entry_id) not in server_entries(served.db_url)

    report = sync_once(store)  # nothing to push: the pull sees the new epoch, then re-sends

    assert report.epoch_reset and report.pushed == 3 and report.accepted == 3
    assert store.server_epoch() == "restored-2" and store.cursor() > 0
    assert set(server_entries(served.db_url)) == ids(kept + lost)
    assert store.last_mutation_id() == 5  # the server expected 3: renumbered 4,5,6 -> 3,4,5

    later = store.save_entries([make_entry(VILLAGE_A2)])
    assert later[0].mutation_id == 6
    report = sync_once(store)
    assert report.accepted == 1 and not report.epoch_reset
    assert set(server_entries(served.db_url)) == ids(kept + lost + later)
    assert sync_chaos.province_achieved(served.db_url) == 4
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_entries_masked_after_a_confirming_sync_are_not_sent_again(
    served: Served, tmp_path: Path
) -> None:
    store = served.laptop(VILLAGE_A)
    backup = tmp_path / "backup.sqlite3"
    sync_chaos.backup_sqlite(served.db_url, backup)  # before any of this laptop's entries
    confirmed = store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    sync_once(store)
    assert sync_once(store).masked == 0  # within the grace period: kept whole
    fresh = store.save_entries([make_entry(VILLAGE_A)])
    report = sync_once(store, mask_after=timedelta(0))
    # The later sync confirmed the first two; the one it acknowledged itself waits for the next.
    assert report.masked == 2 and whole_numbers(store) == ids(fresh)
    rows = [store.get_entry(s.entry_id) for s in confirmed + fresh]
    assert all(r is not None and is_masked(r.id_number) and not r.editable for r in rows)
    sync_chaos.restore_sqlite(served.db_url, backup, "restored-4")

    report = sync_once(store, mask_after=timedelta(0))

    # The masked entries cannot be sent again (the accepted limit of the grace period);
    # the one still whole is, and nothing is counted twice.
    assert report.epoch_reset and (report.pushed, report.accepted, report.masked) == (1, 1, 0)
    assert set(server_entries(served.db_url)) == ids(fresh)
    assert sync_chaos.province_achieved(served.db_url) == 1
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_lost_ack_then_restore_does_not_duplicate(
    served: Served, tmp_path: Path, proxy_to: Callable[[int], FaultProxy]
) -> None:
    store = served.laptop(VILLAGE_A)
    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(3)])
    proxy = proxy_to(int(served.url.rsplit(":", 1)[1]))
    proxy.inject(Fault.LOST_ACK)
    with httpx.Client(base_url=proxy.url) as client, pytest.raises(SyncError):
        sync_once(store, client=client, policy=RetryPolicy(max_attempts=1))
    assert store.pending_count() == 3  # the server has them, the laptop does not know
    backup = tmp_path / "backup.sqlite3"
    sync_chaos.backup_sqlite(served.db_url, backup)
    sync_chaos.restore_sqlite(served.db_url, backup, "restored-3")

    report = sync_once(store)

    # Resent once as the lost batch, once more after the new epoch: stored and counted once.
    assert report.epoch_reset and (report.pushed, report.accepted) == (6, 6)
    assert set(server_entries(served.db_url)) == ids(saved)
    assert all(rev == 1 for _, rev, _ in server_entries(served.db_url).values())
    assert sync_chaos.province_achieved(served.db_url) == 3
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_a_real_gap_is_reported_not_papered_over(served: Served, tmp_path: Path) -> None:
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    sync_once(store)
    # The server forgets this device's last acknowledged mutation without a restore.
    with served.session() as session:
        from sqlalchemy import update

        from sync_server.db.models import Device

        session.execute(
            update(Device).where(Device.id == store.profile.device_id).values(last_mutation_id=0)
        )
        session.commit()
    store.save_entries([make_entry(VILLAGE_A)])
    try:
        sync_once(store)
    except SyncError as exc:
        assert exc.code == "gap" and exc.expected == 1
        assert "1" in exc.message("vi")
    else:
        raise AssertionError("a gap must be reported")
    assert store.pending_count() == 1
