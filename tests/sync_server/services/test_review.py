"""Reviews: rejecting the counting entry hands the count on; un-rejecting takes it back."""

from __future__ import annotations

import pytest
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import ChangeLog, Entry, User
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.review import EntryNotFound, apply_review
from sync_server.services.tally import read_tally


def _row(session: Session, unit: str) -> wire.TallyRow:
    rows = [
        r for r in read_tally(session, unit, "2026", subtree=False) if r.service == "vneid_level1"
    ]
    return rows[0] if rows else wire.TallyRow(unit_code=unit, service="vneid_level1", period="2026")


def _coordinator(session: Session, commune: str) -> User:
    user = User(name="Phạm Thị Dung", role="coordinator", unit_code=commune)
    session.add(user)
    session.flush()
    return user


def test_rejection_hands_the_count_to_the_next_success_and_back(session: Session) -> None:
    geo = make_geography(session)
    va, vb = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]
    a, b = make_device(session, va), make_device(session, vb)
    reviewer = _coordinator(session, geo.communes[0])
    first = ingest_mutations(session, a, mutations([entry_data(va, 4, at=minutes(1))]))
    second = ingest_mutations(session, b, mutations([entry_data(vb, 4, at=minutes(50))]))
    session.commit()
    first_id, second_id = first.results[0].entry_id, second.results[0].entry_id
    assert first_id is not None and second_id is not None
    assert second.results[0].status == wire.ItemStatus.DUPLICATE

    review = apply_review(session, first_id, "rejected", "Sai số định danh", reviewer)
    session.commit()
    assert review.decision == "rejected"
    assert session.scalars(select(Entry.id).where(Entry.counted.is_(True))).one() == second_id
    assert (_row(session, va).achieved, _row(session, va).rejected) == (0, 1)
    assert _row(session, vb).achieved == 1
    assert _row(session, geo.province).achieved == 1
    assert recount(session) == []
    changes = session.scalars(
        select(ChangeLog).where(ChangeLog.kind.in_(["review", "entry_status"]))
    )
    by_scope = {(c.kind, c.scope): c.data for c in changes}
    assert by_scope[("review", a.id)]["decision"] == "rejected"
    assert by_scope[("review", a.id)]["reason"] == "Sai số định danh"
    assert by_scope[("entry_status", b.id)]["counted"] is True

    apply_review(session, first_id, wire.ReviewDecision.APPROVED, "", reviewer)
    session.commit()
    assert session.scalars(select(Entry.id).where(Entry.counted.is_(True))).one() == first_id
    row = _row(session, va)
    assert (row.achieved, row.approved, row.pending, row.rejected) == (1, 1, 0, 0)
    assert _row(session, vb).achieved == 0
    assert recount(session) == []


def test_rejecting_the_only_success_removes_the_count(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    reviewer = _coordinator(session, geo.communes[0])
    resp = ingest_mutations(session, device, mutations([entry_data(village, 8, birth_year=1960)]))
    entry_id = resp.results[0].entry_id
    assert entry_id is not None
    assert (_row(session, village).youth, _row(session, village).non_youth) == (0, 1)
    apply_review(session, entry_id, "has_issues", "Thiếu số điện thoại", reviewer)
    assert (_row(session, village).achieved, _row(session, village).pending) == (1, 1)
    apply_review(session, entry_id, "rejected", "Sai năm sinh", reviewer)
    session.commit()
    assert session.scalars(select(Entry.id).where(Entry.counted.is_(True))).all() == []
    assert (_row(session, village).achieved, _row(session, village).rejected) == (0, 1)
    assert recount(session) == []


def test_unknown_entry_and_bad_decision(session: Session) -> None:
    geo = make_geography(session)
    reviewer = _coordinator(session, geo.communes[0])
    with pytest.raises(EntryNotFound):
        apply_review(session, "00000000-0000-7000-8000-000000000000", "approved", "", reviewer)
    with pytest.raises(ValueError):
        apply_review(session, "x", "delete-everything", "", reviewer)
