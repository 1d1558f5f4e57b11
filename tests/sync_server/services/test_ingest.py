"""Ingest: statuses, idempotency, gaps, territory, dedupe across villages, take-overs, edits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import VIETNAM_TZ, wire
from sync_server.db.models import ChangeLog, Conflict, Device, Entry, User
from sync_server.services import users
from sync_server.services.admission import Checked
from sync_server.services.dedupe import disputed
from sync_server.services.ingest import MutationGap, _sequence
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.review import apply_review
from sync_server.services.tally import read_tally


def _tally(session: Session, unit: str, service: str = "vneid_level1") -> wire.TallyRow | None:
    rows = read_tally(session, unit, "2026", subtree=False)
    return next((r for r in rows if r.service == service), None)


def test_accepts_a_batch_and_tallies_it(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    payloads = [entry_data(village, n, at=minutes(n)) for n in range(5)]
    payloads.append(entry_data(village, 99, outcome="failed"))
    resp = ingest_mutations(session, device, mutations(payloads))
    session.commit()
    assert resp.last_mutation_id == 6
    assert [r.status for r in resp.results] == [wire.ItemStatus.ACCEPTED] * 6
    assert device.last_mutation_id == 6
    stored = session.scalars(select(Entry)).all()
    assert len(stored) == 6
    assert all(len(e.citizen_key) == 64 and "•" in e.id_masked for e in stored)
    assert not any(e.id_masked.isdigit() for e in stored)
    for unit in (village, geo.communes[0], geo.province):
        row = _tally(session, unit)
        assert row is not None and row.achieved == 5 and row.pending == 5
    assert recount(session) == []


def test_resending_a_batch_changes_nothing(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    batch = mutations([entry_data(village, n) for n in range(3)])
    first = ingest_mutations(session, device, batch)
    session.commit()
    again = ingest_mutations(session, device, batch)
    session.commit()
    assert again.last_mutation_id == first.last_mutation_id == 3
    assert [r.status for r in again.results] == [r.status for r in first.results]
    assert session.scalar(select(func.count()).select_from(Entry)) == 3
    row = _tally(session, village)
    assert row is not None and row.achieved == 3


def test_gap_names_the_expected_mutation(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    ingest_mutations(session, device, mutations([entry_data(village, 1)]))
    session.commit()
    with pytest.raises(MutationGap) as caught:
        ingest_mutations(session, device, mutations([entry_data(village, 2)], start=3))
    session.rollback()
    assert caught.value.expected == 2
    assert session.scalar(select(func.count()).select_from(Entry)) == 1


def test_invalid_and_foreign_items_are_rejected_per_item(session: Session) -> None:
    geo = make_geography(session)
    mine, other = geo.all_villages()[0], geo.all_villages()[1]
    device = make_device(session, mine)
    payloads = [
        entry_data(mine, 1),
        entry_data(mine, 2, consent=False),
        entry_data(other, 3),
        entry_data("99999-1", 4),
        entry_data(mine, 5, service="teleport"),
        {"id": "not-a-uuid", "hostile": "<script>"},
        entry_data(mine, 6, id_number="12345"),
        entry_data(mine, 7),
        entry_data(mine, 8) | {"village": ["21000-1"], "id": 12},
        entry_data(mine, 9, note="OTP 123456"),
        entry_data(mine, 10, full_name="x" * 5000, assisted_at="yesterday"),
    ]
    resp = ingest_mutations(session, device, mutations(payloads))
    session.commit()
    statuses = [(r.status.value, r.code) for r in resp.results]
    assert statuses[0] == ("accepted", None)
    assert statuses[1] == ("rejected", "consent.required")
    assert statuses[2] == ("rejected", "village.not_yours")
    assert statuses[3] == ("rejected", "village.unknown")
    assert statuses[4] == ("rejected", "service.unknown")
    assert statuses[5][0] == "rejected"
    assert statuses[6] == ("rejected", "id_number.length")
    assert statuses[7] == ("accepted", None)
    assert statuses[8][0] == statuses[10][0] == "rejected"
    assert statuses[9] == ("rejected", "note.otp")
    assert resp.last_mutation_id == 11  # rejections never block the queue
    assert session.scalar(select(func.count()).select_from(Entry)) == 2
    assert all(r.message for r in resp.results if r.status == "rejected")
    assert "Thôn/ấp" in (resp.results[2].message or "")
    # a resend after a lost response still reports the rejections
    again = ingest_mutations(session, device, mutations(payloads))
    assert [(r.status.value, r.code) for r in again.results] == statuses


def test_duplicate_across_villages_is_counted_once(session: Session) -> None:
    geo = make_geography(session)
    first_village, second_village = (  # one commune: the village and day are told
        geo.villages[geo.communes[0]][0],
        geo.villages[geo.communes[0]][1],
    )
    a = make_device(session, first_village)
    b = make_device(session, second_village)
    ingest_mutations(session, a, mutations([entry_data(first_village, 7, at=minutes(0))]))
    session.commit()
    resp = ingest_mutations(session, b, mutations([entry_data(second_village, 7, at=minutes(60))]))
    session.commit()
    item = resp.results[0]
    assert item.status == wire.ItemStatus.DUPLICATE
    assert item.duplicate_of is not None
    assert item.duplicate_of.village == first_village
    assert item.duplicate_of.village_name == "Thôn 1 xã 1"
    assert item.duplicate_of.assisted_at == minutes(0)
    assert "Thôn 1 xã 1" in (item.message or "") and "02/03/2026" in (item.message or "")
    assert _tally(session, geo.province).achieved == 1  # type: ignore[union-attr]
    assert _tally(session, second_village) is None
    # another service for the same citizen counts separately
    resp = ingest_mutations(
        session, b, mutations([entry_data(second_village, 7, service="dvc_account")], start=2)
    )
    assert resp.results[0].status == wire.ItemStatus.ACCEPTED
    assert recount(session) == []


def test_duplicates_inside_one_batch(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    payloads = [entry_data(village, 5, at=minutes(30)), entry_data(village, 5, at=minutes(10))]
    resp = ingest_mutations(session, device, mutations(payloads))
    session.commit()
    assert [r.status for r in resp.results] == [wire.ItemStatus.DUPLICATE, wire.ItemStatus.ACCEPTED]
    assert _tally(session, village).achieved == 1  # type: ignore[union-attr]
    assert recount(session) == []


def test_a_later_push_with_an_earlier_time_does_not_take_the_count(session: Session) -> None:
    """The first success received counts; an earlier `assisted_at` pushed later is disputed."""
    geo = make_geography(session)
    # Two villages of one commune: its volunteers are told the village (see the next test).
    late_village, early_village = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[0]][1]
    late_device = make_device(session, late_village)
    early_device = make_device(session, early_village)
    first = ingest_mutations(
        session, late_device, mutations([entry_data(late_village, 3, at=minutes(90))])
    )
    session.commit()
    resp = ingest_mutations(
        session, early_device, mutations([entry_data(early_village, 3, at=minutes(5))])
    )
    session.commit()
    assert resp.results[0].status == wire.ItemStatus.DUPLICATE
    assert (
        session.scalars(select(Entry.id).where(Entry.counted.is_(True))).one()
        == first.results[0].entry_id
    )
    assert _tally(session, late_village).achieved == 1  # type: ignore[union-attr]
    early = _tally(session, early_village)
    assert early is None or early.achieved == 0
    assert _tally(session, geo.province).achieved == 1  # type: ignore[union-attr]
    in_dispute = set(session.scalars(select(Entry.id).where(disputed())))
    assert in_dispute == {first.results[0].entry_id, resp.results[0].entry_id}
    assert recount(session) == []


def _one_stored_entry(session: Session) -> tuple[str, Device, dict[str, Any]]:
    """A village, its volunteer's device and one entry the server already stored (rev 1)."""
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    original = entry_data(village, 1)
    ingest_mutations(session, device, mutations([original]))
    session.commit()
    return village, device, original


def test_edit_at_base_rev_applies_and_stale_edit_is_kept_as_conflict(session: Session) -> None:
    village, device, original = _one_stored_entry(session)
    edited = original | {"outcome": "failed", "reasons": ["otp_not_received"], "rev": 2}
    resp = ingest_mutations(session, device, mutations([edited], start=2, base_rev=1))
    session.commit()
    assert resp.results[0].status == wire.ItemStatus.ACCEPTED and resp.results[0].rev == 2
    assert _tally(session, village).achieved == 0  # type: ignore[union-attr]
    stale = original | {"full_name": "Lê Văn Cường", "rev": 2}
    resp = ingest_mutations(session, device, mutations([stale], start=3, base_rev=1))
    session.commit()
    assert resp.results[0].status == wire.ItemStatus.ACCEPTED
    assert resp.results[0].code == "conflict" and resp.results[0].message
    conflict = session.scalars(select(Conflict)).one()
    assert conflict.data["full_name"] == "Lê Văn Cường"
    assert "•" in conflict.data["id_number"]
    stored = session.get(Entry, original["id"])
    assert stored is not None and stored.outcome == "failed" and stored.rev == 2
    assert recount(session) == []


def test_an_entry_id_of_another_device_is_refused(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    a = make_device(session, village)
    b = make_device(session, village)
    payload = entry_data(village, 1)
    ingest_mutations(session, a, mutations([payload]))
    resp = ingest_mutations(session, b, mutations([payload | {"rev": 2}], base_rev=1))
    assert resp.results[0].status == wire.ItemStatus.REJECTED
    assert resp.results[0].code == "entry.other_device"


def test_a_newer_version_sent_again_after_a_restore_applies_once(session: Session) -> None:
    # The server came back from a backup holding rev 1; the laptop had rev 3 acknowledged
    # and, after the epoch reset, sends the whole entry again (base_rev None).
    village, device, original = _one_stored_entry(session)
    newer = original | {"outcome": "failed", "reasons": ["otp_not_received"], "rev": 3}
    resp = ingest_mutations(session, device, mutations([newer], start=2))
    session.commit()
    assert resp.results[0].status == wire.ItemStatus.ACCEPTED and resp.results[0].rev == 3
    stored = session.get(Entry, original["id"])
    assert stored is not None and (stored.outcome, stored.rev) == ("failed", 3)
    assert _tally(session, village).achieved == 0  # type: ignore[union-attr]
    stored.review_status = "approved"
    session.commit()
    again = ingest_mutations(session, device, mutations([newer], start=3))
    older = ingest_mutations(session, device, mutations([original], start=4))
    session.commit()
    assert [again.results[0].status, older.results[0].status] == [wire.ItemStatus.ACCEPTED] * 2
    session.refresh(stored)
    assert (stored.outcome, stored.rev, stored.review_status) == ("failed", 3, "approved")
    assert session.scalar(select(func.count()).select_from(Conflict)) == 0
    assert recount(session) == []


def _reference_sequence(ids: list[int], last: int) -> tuple[list[int], int] | int:
    """Protocol rule 2 spelled out: ids in order without repeats, the new last id, or the gap."""
    ordered = sorted(set(ids))
    expected = last + 1
    for mutation_id in ordered:
        if mutation_id > last:
            if mutation_id != expected:
                return expected
            expected += 1
    return ordered, expected - 1


@given(
    st.lists(st.integers(min_value=1, max_value=12), max_size=8)
    | st.builds(lambda a, n: list(range(a, a + n)), st.integers(1, 9), st.integers(0, 6)),
    st.integers(min_value=0, max_value=8),
)
def test_batches_in_order_and_out_of_order_are_sequenced_alike(ids: list[int], last: int) -> None:
    items = [Checked(wire.Mutation(mutation_id=i, entry={})) for i in ids]
    expected = _reference_sequence(ids, last)
    try:
        ordered, new_last = _sequence(items, last)
    except MutationGap as gap:
        assert gap.expected == expected
    else:
        assert ([c.mutation.mutation_id for c in ordered], new_last) == expected


def test_a_duplicate_in_another_commune_tells_only_since_which_day(session: Session) -> None:
    geo = make_geography(session)
    here, there = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]
    a, b = make_device(session, here), make_device(session, there)
    first = entry_data(here, 7, at=minutes(30))
    ingest_mutations(session, a, mutations([first]))
    session.commit()
    dup = entry_data(there, 7, at=minutes(90))
    resp = ingest_mutations(session, b, mutations([dup]))
    session.commit()
    item = resp.results[0]
    assert item.status == wire.ItemStatus.DUPLICATE and item.duplicate_of is not None
    told = item.model_dump_json()
    for secret in (first["id"], here, "Thôn 1 xã 1", "Xã Số 1"):
        assert secret not in told
    assert item.duplicate_of.entry_id is None and item.duplicate_of.village == ""
    local = item.duplicate_of.assisted_at.astimezone(VIETNAM_TZ)
    assert (local.hour, local.minute) == (0, 0)  # the day only, not the time
    assert local.date() == minutes(30).astimezone(VIETNAM_TZ).date()
    assert "02/03/2026" in (item.message or "") and "xã/phường khác" in (item.message or "")
    # Sent again (the stored entry's answer), it says no more.
    resent = ingest_mutations(session, b, mutations([dup], start=2))
    assert resent.results[0].status == wire.ItemStatus.DUPLICATE
    assert first["id"] not in resent.model_dump_json() and here not in resent.model_dump_json()
    session.commit()
    # The count moves in review (rejected, then approved after all): the device whose entry
    # loses it again is told in a pulled status, with no id, village or time of the other one.
    added = users.add_user(session, "admin", None, "Quản Trị")
    reviewer = session.get(User, added.user_id)
    assert reviewer is not None
    apply_review(session, first["id"], "rejected", "Kiểm tra lại", reviewer)
    apply_review(session, first["id"], "approved", "Đúng người", reviewer)
    session.commit()
    change = session.scalars(
        select(ChangeLog).where(ChangeLog.kind == "entry_status", ChangeLog.key == dup["id"])
    ).all()[-1]
    assert change.data["status"] == "duplicate"
    assert first["id"] not in str(change.data) and here not in str(change.data)
    assert change.data["duplicate_of"]["village"] == ""


def test_an_edit_with_the_masked_number_keeps_the_stored_citizen(session: Session) -> None:
    # A laptop masks the number once the server has the entry; fixing a returned entry then
    # sends the masked form, and the server keeps the citizen it stored.
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    payload = entry_data(village, 1)
    ingest_mutations(session, device, mutations([payload]))
    session.commit()
    stored = session.scalars(select(Entry)).one()
    key, masked = stored.citizen_key, stored.id_masked
    added = users.add_user(session, "coordinator", geo.communes[0], "Điều Phối")
    reviewer = session.get(User, added.user_id)
    assert reviewer is not None
    apply_review(session, stored.id, "rejected", "Sai năm sinh", reviewer)
    session.commit()
    assert stored.review_status == "rejected"
    fixed = payload | {"id_number": masked, "birth_year": 2000, "note": "đã sửa", "rev": 2}
    resp = ingest_mutations(session, device, mutations([fixed], start=2, base_rev=1))
    session.commit()
    assert [r.status for r in resp.results] == [wire.ItemStatus.ACCEPTED]
    session.refresh(stored)
    assert (stored.citizen_key, stored.id_masked) == (key, masked)
    assert (stored.birth_year, stored.note, stored.rev) == (2000, "đã sửa", 2)
    assert stored.review_status == "pending"
    assert recount(session) == []


def test_a_masked_number_is_refused_for_an_entry_the_server_never_had(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    masked = entry_data(village, 1) | {"id_number": "•••••••••001"}
    new = ingest_mutations(session, device, mutations([masked]))
    edit = ingest_mutations(session, device, mutations([masked], start=2, base_rev=1))
    session.commit()
    assert [r.status for r in new.results + edit.results] == [wire.ItemStatus.REJECTED] * 2
    assert edit.results[0].code == "id_number.kept_unknown"
    assert session.scalar(select(func.count()).select_from(Entry)) == 0
    assert edit.last_mutation_id == 2  # refused, never blocking the queue


def test_a_push_reads_its_citizens_entries_once(session: Session) -> None:
    """The people counts' read of a push's citizens also tells dedupe who counts them: the
    citizens' entries are read once before the insert (and once after, for the people counts
    of citizen 7, who had an entry already), and a duplicate is still found and explained."""
    from sqlalchemy import event

    geo = make_geography(session)
    first_village, second_village = geo.villages[geo.communes[0]][:2]
    a = make_device(session, first_village)
    b = make_device(session, second_village)
    ingest_mutations(session, a, mutations([entry_data(first_village, 7, at=minutes(0))]))
    session.commit()
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        payloads = [entry_data(second_village, 7, at=minutes(60)), entry_data(second_village, 8)]
        resp = ingest_mutations(session, b, mutations(payloads))
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    by_citizen = [s for s in statements if 'WHERE "citizen_key"' in s]
    assert len(by_citizen) == 2, by_citizen
    assert [r.status for r in resp.results] == [wire.ItemStatus.DUPLICATE, wire.ItemStatus.ACCEPTED]
    duplicate = resp.results[0].duplicate_of
    assert duplicate is not None and duplicate.village == first_village
    assert recount(session) == []
