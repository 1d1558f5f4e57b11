"""Random pushes, edits, resends and reviews: tallies and counts always equal a recount."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import (
    ChangeLog,
    Conflict,
    Device,
    Entry,
    Review,
    Tally,
    User,
    WeekTally,
)
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.review import apply_review

citizens = st.integers(0, 5)
pushes = st.tuples(
    st.just("push"),
    st.integers(0, 2),
    st.lists(
        st.tuples(
            citizens,
            st.sampled_from(["vneid_level1", "dvc_account"]),
            st.sampled_from(["success", "success", "failed"]),
            st.integers(0, 90),
            st.sampled_from([1990, 2003]),
        ),
        min_size=1,
        max_size=6,
    ),
)
reviews = st.tuples(
    st.just("review"), st.integers(0, 1000), st.sampled_from(["approved", "rejected", "has_issues"])
)
edits = st.tuples(
    st.just("edit"), st.integers(0, 1000), citizens, st.integers(0, 90), st.booleans()
)
resends = st.tuples(st.just("resend"), st.integers(0, 2))
operations = st.lists(st.one_of(pushes, reviews, edits, resends), min_size=1, max_size=10)


def _reset(session: Session) -> None:
    """Forget the previous example's entries (the database is shared by all examples)."""
    for table in (Review, ChangeLog, Conflict, Tally, WeekTally, Entry):
        session.execute(delete(table))
    session.execute(update(Device).values(last_mutation_id=0))
    session.commit()


def _world(session: Session) -> tuple[list[Device], list[str], User]:
    devices = list(session.scalars(select(Device).order_by(Device.created_at)))
    if not devices:
        geo = make_geography(session, communes=2, villages_per_commune=2)
        villages = geo.all_villages()
        devices = [make_device(session, v) for v in (villages[0], villages[1], villages[3])]
        session.add(User(name="Điều Phối", role="admin"))
        session.commit()
    admin = session.scalars(select(User).where(User.role == "admin")).one()
    villages = []
    for device in devices:
        user = session.get(User, device.user_id)
        assert user is not None and user.unit_code is not None
        villages.append(user.unit_code)
    return devices, villages, admin


def _run(session: Session, ops: list[tuple[Any, ...]], last_batches: dict[int, Any]) -> None:
    devices, villages, admin = _world(session)
    for op in ops:
        if op[0] == "push":
            index = op[1]
            device = devices[index]
            payloads = [
                entry_data(villages[index], c, service=s, outcome=o, at=minutes(m), birth_year=y)
                for c, s, o, m, y in op[2]
            ]
            batch = mutations(payloads, start=device.last_mutation_id + 1)
            ingest_mutations(session, device, batch)
            last_batches[index] = (batch, payloads)
        elif op[0] == "resend" and op[1] in last_batches:
            ingest_mutations(session, devices[op[1]], last_batches[op[1]][0])
        elif op[0] in ("review", "edit"):
            ids = list(session.scalars(select(Entry.id).order_by(Entry.id)))
            if not ids:
                continue
            entry = session.get(Entry, ids[op[1] % len(ids)])
            assert entry is not None
            if op[0] == "review":
                apply_review(session, entry.id, op[2], "Kiểm tra lại", admin)
                continue
            index = next(i for i, d in enumerate(devices) if d.id == entry.device_id)
            device = devices[index]
            payload = entry_data(
                entry.village_code,
                op[2],
                service=entry.service,
                outcome="success" if op[4] else "failed",
                at=minutes(op[3]),
                entry_id=entry.id,  # type: ignore[arg-type]
                rev=entry.rev + 1,
            )
            edit = wire.Mutation(
                mutation_id=device.last_mutation_id + 1, entry=payload, base_rev=entry.rev
            )
            ingest_mutations(session, device, [edit])
        session.commit()


def _check_invariants(session: Session) -> None:
    assert recount(session) == []
    for tally in session.scalars(select(Tally)):
        assert tally.achieved == tally.pending + tally.approved == tally.youth + tally.non_youth
        assert min(tally.achieved, tally.pending, tally.approved, tally.rejected) >= 0
    counted_groups = (
        select(Entry.citizen_key, Entry.service, Entry.period)
        .where(Entry.counted.is_(True))
        .distinct()
        .subquery()
    )
    counted_entries = session.scalar(select(func.count()).where(Entry.counted.is_(True)))
    assert counted_entries == session.scalar(select(func.count()).select_from(counted_groups))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_tallies_always_agree_with_a_recount(session: Session, ops: list[tuple[Any, ...]]) -> None:
    _reset(session)
    _run(session, ops, {})
    _check_invariants(session)
