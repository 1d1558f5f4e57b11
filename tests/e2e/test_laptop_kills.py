# mypy: disable-error-code="import-not-found"
"""kill -9 of a laptop process while it saves or syncs: nothing committed is lost or doubled."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sync_chaos
from e2e_harness import ServerProcess, Worker, integrity, new_laptop, start_worker
from sync_chaos import VILLAGE_A, VILLAGE_B, Fault, FaultProxy, make_entry, server_entries

from fieldkit.store import Store
from fieldkit.sync import sync_once

pytestmark = pytest.mark.slow


def _device(path: Path) -> str:
    with Store(path) as store:
        return store.profile.device_id


def _all_ids(store: Store) -> set[str]:
    from fieldkit.store import EntryQuery

    total = store.count_entries(EntryQuery())
    rows = store.query_entries(EntryQuery(limit=1000))
    assert len(rows) == total
    return {str(r.id) for r in rows}


def test_kill9_while_saving_loses_no_committed_entry(
    server_process: ServerProcess, tmp_path: Path, workers: list[Worker]
) -> None:
    path = new_laptop(server_process.url, server_process.db_url, tmp_path, VILLAGE_A, "Hà An")
    rng = random.Random(7)
    reported: set[str] = set()
    for round_ in range(2):
        w = start_worker("save-loop", "--db", str(path), "--village", VILLAGE_A)
        workers.append(w)
        w.wait_for("saved ", count=rng.randint(5, 40))
        w.kill9()
        reported |= w.saved()
        assert integrity(path) == "ok", f"round {round_}"
    with Store(path) as store:
        local = _all_ids(store)
        assert reported <= local  # every "saved" the process printed survived SIGKILL
        assert store.pending_count() == len(local)  # and each has its outbox row
        sync_once(store)
        assert store.pending_count() == 0
    assert set(server_entries(server_process.db_url, _device(path))) == local
    assert integrity(sync_chaos.sqlite_path(server_process.db_url)) == "ok"


def test_kill9_between_reply_and_ack_resends_without_doubling(
    server_process: ServerProcess, tmp_path: Path, workers: list[Worker]
) -> None:
    path = new_laptop(server_process.url, server_process.db_url, tmp_path, VILLAGE_B, "Bùi Cúc")
    with Store(path) as store:
        saved = store.save_entries([make_entry(VILLAGE_B) for _ in range(6)])
    w = start_worker("hang-after-reply", "--db", str(path))
    workers.append(w)
    w.wait_for("reply ")
    # The server has committed the batch and answered; the laptop dies before recording it.
    assert len(server_entries(server_process.db_url, _device(path))) == 6
    w.kill9()
    assert integrity(path) == "ok"
    with Store(path) as store:
        assert store.pending_count() == 6
        report = sync_once(store)
        assert (report.pushed, report.accepted) == (6, 6), report
        assert store.pending_count() == 0
    on_server = server_entries(server_process.db_url, _device(path))
    assert set(on_server) == {str(s.entry_id) for s in saved}
    assert all(rev == 1 and counted for _, rev, counted in on_server.values())
    assert sync_chaos.recount_mismatches(server_process.db_url) == []


def test_kill9_at_random_moments_of_save_and_sync(
    server_process: ServerProcess, tmp_path: Path, workers: list[Worker]
) -> None:
    path = new_laptop(server_process.url, server_process.db_url, tmp_path, VILLAGE_A, "Đào Dũng")
    rng = random.Random(11)
    reported: set[str] = set()
    for round_ in range(2):
        args = f"--village {VILLAGE_A} --worker {round_} --rounds 100 --per-round 3"
        w = start_worker("work", "--db", str(path), *args.split())
        workers.append(w)
        w.wait_for("synced ", count=rng.randint(1, 4))
        w.wait_for("saved ", count=len(w.saved()) + rng.randint(0, 3))
        w.kill9()
        reported |= w.saved()
        assert integrity(path) == "ok"
    with Store(path) as store:
        local = _all_ids(store)
        assert reported <= local
        sync_once(store)
        assert store.pending_count() == 0
    assert set(server_entries(server_process.db_url, _device(path))) == local
    assert sync_chaos.recount_mismatches(server_process.db_url) == []


def test_lost_ack_and_cut_batch_between_real_processes(
    server_process: ServerProcess, tmp_path: Path, workers: list[Worker]
) -> None:
    path = new_laptop(server_process.url, server_process.db_url, tmp_path, VILLAGE_A, "Mai Lan")
    proxy = FaultProxy(upstream_port=server_process.port).start()
    try:
        proxy.inject(Fault.LOST_ACK)  # the server commits, the answer never arrives
        proxy.inject(Fault.DROP_MID_BODY, after=1)  # a later batch is cut in half once
        args = f"--village {VILLAGE_A} --worker 9 --rounds 2 --per-round 8 --url {proxy.url}"
        w = start_worker("work", "--db", str(path), *args.split())
        workers.append(w)
        assert w.finish() == 0, w.stderr()
        assert w.lines[-2] == "drained"
        faults = [s.fault for s in proxy.requests() if s.fault is not None]
        assert faults == [Fault.LOST_ACK, Fault.DROP_MID_BODY]
        pushes = proxy.requests()
        assert pushes[0].body == pushes[1].body  # the lost batch went again, unchanged
    finally:
        proxy.close()
    with Store(path) as store:
        local = _all_ids(store)
        assert store.pending_count() == 0
    assert local == w.saved()
    on_server = server_entries(server_process.db_url, _device(path))
    assert set(on_server) == local
    assert all(rev == 1 for _, rev, _ in on_server.values())
    assert sync_chaos.recount_mismatches(server_process.db_url) == []
