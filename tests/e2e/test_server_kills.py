# mypy: disable-error-code="import-not-found"
"""kill -9 of the server under four concurrent laptops: every saved entry lands exactly once."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sync_chaos
from e2e_harness import ServerProcess, integrity, new_laptop
from sync_chaos import (
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    Fault,
    FaultProxy,
    make_entry,
    server_entries,
)

from fieldkit.store import EntryQuery, EntryStatus, Store
from fieldkit.sync import RetryPolicy, SyncError, sync_once

pytestmark = pytest.mark.slow

LAPTOPS = [
    (VILLAGE_A, "Nguyễn Văn Một"),
    (VILLAGE_A2, "Trần Thị Hai"),
    (VILLAGE_B, "Lê Văn Ba"),
    (VILLAGE_A, "Phạm Thị Bốn"),
]
SHARED = [sync_chaos.id_number(1990) for _ in range(4)]
"""Citizens every laptop helps, so dedupe races across villages while the server dies."""


@dataclass
class Laptop:
    """One laptop working in a thread: rounds of saving and syncing, then draining."""

    path: Path
    village: str
    saved: set[str] = field(default_factory=set)
    syncs: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    progress: threading.Condition = field(default_factory=threading.Condition)
    error: BaseException | None = None

    def sync(self, store: Store) -> None:
        policy = RetryPolicy(max_attempts=4, base_delay=0.1, max_delay=1.0)
        with httpx.Client(timeout=httpx.Timeout(5.0, read=10.0)) as client:
            try:
                report = sync_once(store, client=client, policy=policy, batch_size=5)
                self.retries += report.retries
            except SyncError as exc:
                self.failures.append(exc.code)
        with self.progress:
            self.syncs += 1
            self.progress.notify_all()

    def run(self, rounds: int, until: threading.Event) -> None:
        try:
            with Store(self.path) as store:
                for number in range(rounds):
                    citizens = [SHARED[number % len(SHARED)]] if number % 2 else []
                    entries = [make_entry(self.village, id_number=n) for n in citizens]
                    entries += [make_entry(self.village) for _ in range(3)]
                    self.saved |= {str(s.entry_id) for s in store.save_entries(entries)}
                    self.sync(store)
                while not until.is_set() or store.pending_count():
                    self.sync(store)
                    until.wait(0.2)  # quiet between drain attempts, not a timing assumption
                self.sync(store)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_syncs(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.syncs >= count, timeout=60)


def test_server_kill9_under_four_concurrent_clients(
    fresh_server: ServerProcess, tmp_path: Path
) -> None:
    server = fresh_server
    # Replacements boot while the first one serves; a proxy on a fixed port fails over to them
    # the moment the serving process is killed, like a supervisor restarting it.
    spares = [ServerProcess(server.db_url, tmp_path / f"spare{n}") for n in (1, 2)]
    for spare in spares:
        spare.data_dir.mkdir()
        spare.log = spare.data_dir / "server.log"
        spare.launch()
    proxy = FaultProxy(upstream_port=server.port).start()
    serving = [server]

    def fail_over() -> None:
        spare = spares[len(serving) - 1]
        spare.wait_ready()
        serving[-1].kill9()  # other requests die mid-flight with the process
        proxy.upstream_port = spare.port
        serving.append(spare)

    try:
        _exercise(server.db_url, proxy, tmp_path, [fail_over, fail_over])
        assert integrity(sync_chaos.sqlite_path(server.db_url)) == "ok"
    finally:
        proxy.close()
        for spare in spares:
            spare.stop()
    _recount_check(server.db_url)


@pytest.mark.postgres
def test_two_servers_on_postgresql_one_killed(pg_url: str, tmp_path: Path) -> None:
    sync_chaos.migrate_world(pg_url)
    servers = [ServerProcess(pg_url, tmp_path / f"server{n}") for n in (1, 2)]
    for server in servers:
        server.data_dir.mkdir()
        server.log = server.data_dir / "server.log"
        server.launch()
    for server in servers:
        server.wait_ready()
    proxy = FaultProxy(upstream_port=servers[0].port)
    proxy.upstream_ports = [s.port for s in servers]  # a load balancer in front of both
    proxy.start()

    def kill_one() -> None:
        servers[0].kill9()
        proxy.upstream_ports = [servers[1].port]

    try:
        _exercise(pg_url, proxy, tmp_path, [kill_one])
    finally:
        proxy.close()
        for server in servers:
            server.stop()
    _recount_check(pg_url)


def _exercise(
    db_url: str, proxy: FaultProxy, tmp_path: Path, kills: list[Callable[[], None]]
) -> None:
    """Four laptops save and sync through the proxy while `kills` strike; then check all."""
    laptops = [
        Laptop(new_laptop(proxy.url, db_url, tmp_path, village, name), village)
        for village, name in LAPTOPS
    ]
    restarted = threading.Event()
    threads = [threading.Thread(target=lap.run, args=(4, restarted)) for lap in laptops]
    for thread in threads:
        thread.start()
    laptops[0].wait_syncs(1)
    for kill in kills:
        # Catch a request the server has answered (a push: committed), kill it, drop the answer.
        proxy.holding.clear()
        proxy.release.clear()
        proxy.inject(Fault.HOLD_REPLY, path="/sync/")
        assert proxy.holding.wait(60)
        kill()
        proxy.release.set()
    restarted.set()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert sum(lap.retries for lap in laptops) >= len(kills)  # the kills were felt

    total = 0
    for lap in laptops:
        assert lap.error is None, lap.error
        assert integrity(lap.path) == "ok"
        with Store(lap.path) as store:
            sync_once(store)  # pull what the later laptops changed
            assert store.pending_count() == 0
            rows = store.query_entries(EntryQuery(limit=1000))
            local = {str(r.id) for r in rows}
            assert lap.saved == local
            on_server = server_entries(db_url, store.profile.device_id)
            assert set(on_server) == local  # every entry, and nothing else
            for row in rows:  # the laptop's view agrees with the server's
                counted = on_server[str(row.id)][2]
                expected = EntryStatus.ACKED if counted else EntryStatus.DUPLICATE
                assert row.status is expected, (row.id, row.status, counted)
            total += len(local)
    assert len(server_entries(db_url)) == total


def _recount_check(db_url: str) -> None:
    """`sync-server recount --check` exits 0: tallies agree with a recount from raw entries."""
    check = subprocess.run(
        [sys.executable, "-m", "sync_server.cli", "--db", db_url, "recount", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
