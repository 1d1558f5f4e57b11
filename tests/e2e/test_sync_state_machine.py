# mypy: disable-error-code="import-not-found"
"""Model-based: devices add, edit, push, pull, drop and retry; at rest everyone agrees."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sync_chaos
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sync_chaos import VILLAGE_A, VILLAGE_A2, VILLAGE_B, Fault, FaultProxy, ServerThread, make_entry

from fieldkit.store import EntryQuery, EntryStatus, Store
from fieldkit.sync import RetryPolicy, SyncError, sync_once
from sync_server.api.app import create_app
from sync_server.db.models import CHANGE_SEQ, ChangeLog, Counter, Device
from sync_server.services.changes import pull
from sync_server.settings import get_settings

pytestmark = pytest.mark.slow

VILLAGES = [VILLAGE_A, VILLAGE_A2, VILLAGE_B]
FAULTS = [Fault.LOST_ACK, Fault.DROP_MID_BODY, Fault.RESET_BEFORE, Fault.STATUS_503]
_homes = itertools.count()
VISIT = st.tuples(
    st.integers(0, 3),  # which of the example's citizens
    st.sampled_from(["vneid_level1", "dvc_account"]),
    st.booleans(),  # success
    st.integers(0, 3),  # days ago
    st.sampled_from([False, False, False, True]),  # a village not the team's (rejected)
)


class Rig:
    """One server and one proxy shared by every example (each example enrols new laptops)."""

    def __init__(self, tmp: Path, template: Path) -> None:
        self.tmp = tmp
        self.db_url = sync_chaos.world_from_template(template, tmp / "server.sqlite3")
        settings_ = get_settings(database_url=self.db_url, data_dir=tmp)
        self.server = ServerThread(create_app(settings_)).start()
        self.proxy = FaultProxy(upstream_port=self.server.port).start()
        self.served = sync_chaos.Served(self.db_url, self.server.url, tmp)

    def close(self) -> None:
        for store in self.served.stores:
            store.close()
        self.proxy.close()
        self.server.stop()


@pytest.fixture
def rig(tmp_path: Path, world_template: Path) -> Iterator[Rig]:
    made = Rig(tmp_path, world_template)
    yield made
    made.close()


def make_machine(rig: Rig) -> type[RuleBasedStateMachine]:
    """The state machine class bound to a running rig."""

    class SyncMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            rig.proxy.clear()
            n = next(_homes)
            self.stores: list[Store] = [
                rig.served.laptop(village, f"Tình Nguyện Viên {n} {i}")
                for i, village in enumerate(VILLAGES)
            ]
            self.citizens = [sync_chaos.id_number(1990 + i) for i in range(4)]
            self.entries: list[list[str]] = [[] for _ in self.stores]

        def _sync(self, device: int, *, proxy: bool, attempts: int) -> None:
            base = rig.proxy.url if proxy else rig.server.url
            policy = RetryPolicy(max_attempts=attempts, base_delay=0.001, max_delay=0.01)
            with httpx.Client(base_url=base, timeout=httpx.Timeout(5.0, read=2.0)) as client:
                try:
                    sync_once(self.stores[device], client=client, policy=policy, batch_size=3)
                except SyncError as exc:
                    assert exc.code in ("unreachable", "server_error"), exc

        @rule(device=st.integers(0, 2), visits=st.lists(VISIT, min_size=1, max_size=4))
        def add(self, device: int, visits: list[tuple[int, str, bool, int, bool]]) -> None:
            entries = []
            for citizen, service, success, days, foreign in visits:
                village = VILLAGES[(device + 1) % 3] if foreign else VILLAGES[device]
                fields: dict[str, Any] = {
                    "id_number": self.citizens[citizen],
                    "service": service,
                    "assisted_at": datetime.now(UTC) - timedelta(days=days, hours=1),
                }
                if not success:
                    fields |= {"outcome": "failed", "reasons": ["no_smartphone"]}
                entries.append(make_entry(village, **fields))
            saved = self.stores[device].save_entries(entries)
            self.entries[device].extend(str(s.entry_id) for s in saved)

        @precondition(lambda self: any(self.entries))
        @rule(data=st.data())
        def edit(self, data: st.DataObject) -> None:
            device = data.draw(st.integers(0, 2))
            store = self.stores[device]
            editable = [
                row
                for row in (store.get_entry(e) for e in self.entries[device])
                if row is not None and row.editable
            ]
            if not editable:
                return
            row = data.draw(st.sampled_from(editable))
            changes = (
                ["fix_village", "citizen", "outcome"]
                if row.number_editable
                else ["fix_village", "outcome"]
            )
            change = data.draw(st.sampled_from(changes))
            entry = row.to_entry()
            if change == "fix_village":
                entry = entry.model_copy(update={"village": VILLAGES[device]})
            elif change == "citizen":
                number = self.citizens[data.draw(st.integers(0, 3))]
                entry = entry.model_validate(entry.model_dump() | {"id_number": number})
            else:
                success = entry.outcome != "success"
                update: dict[str, Any] = (
                    {"outcome": "success", "reasons": []}
                    if success
                    else {"outcome": "failed", "reasons": ["no_chip_card"]}
                )
                entry = entry.model_validate(entry.model_dump() | update)
            store.update_entry(entry)

        @rule(device=st.integers(0, 2))
        def push_and_pull(self, device: int) -> None:
            self._sync(device, proxy=False, attempts=1)

        @rule(device=st.integers(0, 2), fault=st.sampled_from(FAULTS))
        def drop(self, device: int, fault: Fault) -> None:
            rig.proxy.clear()
            rig.proxy.inject(fault, path="/sync/")
            self._sync(device, proxy=True, attempts=1)
            rig.proxy.clear()

        @rule(device=st.integers(0, 2), fault=st.sampled_from(FAULTS))
        def retry(self, device: int, fault: Fault) -> None:
            rig.proxy.clear()
            rig.proxy.inject(fault, path="/sync/")
            self._sync(device, proxy=True, attempts=3)

        def teardown(self) -> None:
            rig.proxy.clear()
            for _ in range(2):  # the second round pulls what the others' pushes changed
                for device in range(len(self.stores)):
                    self._sync(device, proxy=False, attempts=3)
            check_quiescence(rig.db_url, self.stores)

    return SyncMachine


def check_quiescence(db_url: str, stores: list[Store]) -> None:
    """Every device's view agrees with the server's; no change sequence number is skipped."""
    with sync_chaos.Served(db_url, "", Path()).session() as session:
        seqs = list(session.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
        assert seqs == list(range(1, len(seqs) + 1))  # no skipped change_seq
        top = session.scalar(select(Counter.value).where(Counter.name == CHANGE_SEQ))
        assert top == len(seqs)
        for store in stores:
            device = session.get(Device, store.profile.device_id)
            assert device is not None
            assert not pull(session, device, store.cursor(), 1000).changes  # fully pulled
        session.rollback()
        assert session.scalar(select(func.count()).select_from(ChangeLog)) == len(seqs)
    for store in stores:
        assert store.pending_count() == 0
        on_server = sync_chaos.server_entries(db_url, store.profile.device_id)
        rows = store.query_entries(EntryQuery(limit=1000))
        local = {str(r.id): r for r in rows}
        rejected = {k for k, r in local.items() if r.status is EntryStatus.REJECTED}
        assert set(on_server) | rejected == set(local)
        for entry_id, (_, rev, counted) in on_server.items():
            row = local[entry_id]
            if row.status is EntryStatus.REJECTED:
                continue  # a refused edit: the server keeps the version before it
            assert rev == row.rev, (entry_id, rev, row.rev)
            duplicate = row.outcome == "success" and not counted
            expected = EntryStatus.DUPLICATE if duplicate else EntryStatus.ACKED
            assert row.status is expected, (entry_id, row.status, counted, row.outcome)
    assert sync_chaos.recount_mismatches(db_url) == []


def test_devices_converge_with_the_server(rig: Rig) -> None:
    run_state_machine_as_test(
        make_machine(rig),
        settings=settings(
            # FIELDKIT_SM_EXAMPLES=200 for a deep run; the suite keeps it small.
            max_examples=int(os.environ.get("FIELDKIT_SM_EXAMPLES", "4")),
            stateful_step_count=int(os.environ.get("FIELDKIT_SM_STEPS", "12")),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
