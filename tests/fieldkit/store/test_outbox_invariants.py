"""Whatever mix of saves, edits and server answers happens, the outbox keeps its promises."""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fieldkit_store_helpers import fake_enrollment, id_number_for, make_entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldkit.domain import is_masked
from fieldkit.domain.wire import ItemStatus, PushItemResult, PushResponse
from fieldkit.store import EntryQuery, Store, create_profile
from fieldkit.store.models import EntryRecord
from fieldkit.store.records import EntryStatus, UnsentCounts

Op = tuple[str, int]
ops = st.lists(
    st.one_of(
        st.tuples(st.just("save"), st.integers(1, 3)),
        st.tuples(st.just("edit"), st.integers(0, 50)),
        st.tuples(st.just("ack"), st.integers(0, 4)),
        st.tuples(st.just("confirm"), st.just(0)),
        st.tuples(st.just("reset"), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)
STATUSES = [ItemStatus.ACCEPTED, ItemStatus.DUPLICATE, ItemStatus.REJECTED]


def stored_numbers(store: Store) -> dict[str, tuple[str, str]]:
    """Entry id -> (the number as the file holds it, status)."""
    with store._read() as session:
        rows = session.execute(select(EntryRecord.id, EntryRecord.id_number, EntryRecord.status))
        return {i: (n, s) for i, n, s in rows}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.randoms(use_true_random=False))
def test_outbox_invariants(steps: list[Op], rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = create_profile(Path(tmp), fake_enrollment(), "http://127.0.0.1:9")
        issued: list[int] = []
        made = 0
        try:
            for op, n in steps:
                if op == "save":
                    fresh = [make_entry(id_number=id_number_for(made + i)) for i in range(n)]
                    made += n
                    issued += [s.mutation_id for s in store.save_entries(fresh)]
                elif op == "edit":
                    rows = [r for r in store.query_entries(EntryQuery(limit=100)) if r.editable]
                    if rows:
                        row = rows[n % len(rows)]
                        entry = row.to_entry().model_copy(update={"note": f"sửa {n}"})
                        issued.append(store.update_entry(entry).mutation_id)
                elif op == "ack":
                    batch = store.pending_batch(n + 1)
                    if batch:
                        results = [
                            PushItemResult(mutation_id=m.mutation_id, status=rng.choice(STATUSES))
                            for m in batch
                        ]
                        last = batch[-1].mutation_id
                        store.apply_push_response(
                            PushResponse(last_mutation_id=last, results=results, server_epoch="e")
                        )
                elif op == "confirm":  # a later sync found the server in the same epoch
                    store.mask_acknowledged(datetime.now(UTC) + timedelta(seconds=1))
                elif op == "reset":  # the server was restored from an older backup
                    store.reset_for_epoch(f"e{len(issued)}")
                    for number, status in stored_numbers(store).values():
                        if status in ("acked", "duplicate"):  # whatever was whole went back
                            assert is_masked(number)
                queued = [m.mutation_id for m in store.pending_batch(1000)]
                assert queued == sorted(set(queued))
                assert issued == sorted(set(issued))  # strictly increasing, never reused
                assert all(q > store.last_mutation_id() for q in queued)
                queued_entries = {m.entry["id"] for m in store.pending_batch(1000)}
                # Every entry has its own citizen here: one unsent citizen per queued entry.
                assert store.unsent() == UnsentCounts(len(queued_entries), len(queued_entries))
                numbers = stored_numbers(store)
                for row in store.query_entries(EntryQuery(limit=1000)):
                    if row.status is EntryStatus.PENDING:
                        assert str(row.id) in queued_entries and not is_masked(row.id_number)
                        assert not is_masked(numbers[str(row.id)][0])
                    elif row.status in (EntryStatus.ACKED, EntryStatus.DUPLICATE):
                        assert str(row.id) not in queued_entries and is_masked(row.id_number)
                    else:  # rejected: the volunteer must fix it, so the number stays
                        assert str(row.id) not in queued_entries and not is_masked(row.id_number)
        finally:
            store.close()
