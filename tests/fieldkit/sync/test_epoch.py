"""A server restored from backup (new epoch): the laptop resets, renumbers and re-pushes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sync_chaos
from sync_chaos import VILLAGE_A, VILLAGE_A2, Fault, FaultProxy, Served, make_entry, server_entries

from fieldkit.sync import RetryPolicy, SyncError, sync_once


def test_restore_renumbers_the_outbox_and_nothing_is_counted_twice(
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
    sync_chaos.restore_sqlite(served.db_url, backup, "restored-1")

    report = sync_once(store)

    assert report.epoch_reset and store.server_epoch() == "restored-1"
    assert report.accepted == 2
    on_server = server_entries(served.db_url)
    assert set(on_server) == {str(s.entry_id) for s in before + waiting}
    # Acknowledged entries kept only masked numbers, so they cannot be sent again.
    assert not {str(s.entry_id) for s in after_backup} & set(on_server)
    assert store.last_mutation_id() == 5  # the outbox was renumbered 6,7 -> 4,5
    assert store.pending_count() == 0
    assert store.cursor() > 0
    assert sync_chaos.province_achieved(served.db_url) == 5
    assert sync_chaos.recount_mismatches(served.db_url) == []
    # The next save continues the renumbered sequence without a gap.
    store.save_entries([make_entry(VILLAGE_A)])
    again = sync_once(store)
    assert (again.accepted, again.epoch_reset) == (1, False)


def test_restore_noticed_by_pull_when_nothing_is_pending(served: Served, tmp_path: Path) -> None:
    store = served.laptop(VILLAGE_A2)
    store.save_entries([make_entry(VILLAGE_A2) for _ in range(2)])
    sync_once(store)
    backup = tmp_path / "backup.sqlite3"
    sync_chaos.backup_sqlite(served.db_url, backup)
    store.save_entries([make_entry(VILLAGE_A2)])
    sync_once(store)
    sync_chaos.restore_sqlite(served.db_url, backup, "restored-2")

    report = sync_once(store)  # nothing to push: the pull sees the new epoch
    assert report.epoch_reset and report.pushed == 0
    assert store.server_epoch() == "restored-2" and store.cursor() > 0

    later = store.save_entries([make_entry(VILLAGE_A2)])
    assert later[0].mutation_id == 4
    report = sync_once(store)  # the server expects 3: renumbered, accepted
    assert report.accepted == 1
    assert str(later[0].entry_id) in server_entries(served.db_url)
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

    assert report.epoch_reset and report.accepted == 3
    assert set(server_entries(served.db_url)) == {str(s.entry_id) for s in saved}
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
