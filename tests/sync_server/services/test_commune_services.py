"""What the coordinator's pages read and change: progress, laptops, volunteers, bulk review,
whole-file quota imports and the audit log, through the real services on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.db.models import AuditLog, Device, Entry, Quota, Unit, User
from sync_server.services import devices
from sync_server.services.audit import audit_page
from sync_server.services.entries import EntryQuery, list_entries
from sync_server.services.laptops import STALE_AFTER, laptops_under
from sync_server.services.progress import SORT_NAME, unit_progress
from sync_server.services.pushing import ingest_mutations
from sync_server.services.quotas import import_quotas_whole, quota_split, set_quota
from sync_server.services.recount import recount
from sync_server.services.review import ReviewRefused, review_entries
from sync_server.services.tally import read_tally
from sync_server.services.volunteers import (
    VolunteerError,
    add_volunteer,
    clean_phone,
    hand_out_code,
    pending_codes,
    set_active,
    volunteers_in,
    withdraw_code,
)


def _coordinator(session: Session, commune: str) -> User:
    user = User(name="Phạm Thị Dung", role="coordinator", unit_code=commune)
    session.add(user)
    session.flush()
    return user


def _unit(session: Session, code: str) -> Unit:
    unit = session.get(Unit, code)
    assert unit is not None
    return unit


def test_progress_equals_the_tally_and_puts_the_furthest_behind_first(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=3)
    commune = geo.communes[0]
    v1, v2, v3 = geo.villages[commune]
    for village, target in ((v1, 4), (v2, 2), (v3, 10)):
        set_quota(session, village, "vneid_level1", "2026", target)
    set_quota(session, commune, "vneid_level1", "2026", 20)
    citizen = 0
    for village, helped in ((v1, 3), (v2, 3), (v3, 1)):
        device = make_device(session, village)
        payloads = []
        for _ in range(helped):
            citizen += 1
            payloads.append(entry_data(village, citizen, at=minutes(citizen)))
        payloads.append(entry_data(village, citizen + 100, service="dvc_account"))
        ingest_mutations(session, device, mutations(payloads))
    other = geo.villages[geo.communes[1]][0]
    ingest_mutations(session, make_device(session, other), mutations([entry_data(other, 999)]))
    session.commit()

    progress = unit_progress(session, _unit(session, commune), "2026")
    tally = {(r.unit_code, r.service): r for r in read_tally(session, commune, "2026")}
    shown = [progress.unit, *progress.villages]
    for unit in shown:
        for service, figures in unit.figures.items():
            row = tally[(unit.code, service)]
            assert (figures.quota, figures.achieved, figures.percentage, figures.pending) == (
                row.quota,
                row.achieved,
                row.percentage,
                row.pending,
            )
    assert {(u.code, s) for u in shown for s in u.figures} == set(tally)
    assert [v.code for v in progress.villages] == [v3, v1, v2]  # 10 %, 75 %, 150 %
    assert [v.code for v in sort_by_name(session, commune)] == [v1, v2, v3]
    assert progress.unit.get("vneid_level1").percentage == 35.0
    assert {s.code for s in progress.services} >= {"vneid_level1", "dvc_account"}

    village = unit_progress(session, _unit(session, v1), "2026")
    assert village.villages == [] and village.unit.get("vneid_level1").achieved == 3


def sort_by_name(session: Session, commune: str) -> list[object]:
    return list(unit_progress(session, _unit(session, commune), "2026", SORT_NAME).villages)


def test_laptops_not_synced_for_three_days_are_called_out(session: Session) -> None:
    geo = make_geography(session)
    commune = geo.communes[0]
    village = geo.villages[commune][0]
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    fresh, old, never = (make_device(session, village) for _ in range(3))
    fresh.last_sync_at = now - STALE_AFTER + timedelta(minutes=1)
    old.last_sync_at = now - STALE_AFTER
    never.created_at = now - timedelta(days=5)
    fresh.created_at = old.created_at = now - timedelta(days=9)
    revoked = make_device(session, village)
    revoked.revoked_at = now
    elsewhere = make_device(session, geo.villages[geo.communes[1]][0])
    session.flush()

    laptops = laptops_under(session, _unit(session, commune), now)
    assert {item.device_id for item in laptops} == {fresh.id, old.id, never.id}
    stale = {item.device_id for item in laptops if item.stale}
    assert stale == {old.id, never.id}
    assert laptops[-1].device_id == fresh.id  # stale ones first
    assert elsewhere.id not in {
        i.device_id for i in laptops_under(session, _unit(session, commune))
    }


def test_a_push_and_a_pull_record_the_laptops_last_sync(session: Session) -> None:
    geo = make_geography(session)
    village = geo.villages[geo.communes[0]][0]
    device = make_device(session, village)
    session.commit()
    assert device.last_sync_at is None
    ingest_mutations(session, device, mutations([entry_data(village, 1)]))
    session.commit()
    pushed = session.get(Device, device.id)
    assert pushed is not None and pushed.last_sync_at is not None
    first = pushed.last_sync_at
    devices.note_sync(session, pushed.id, first + timedelta(seconds=1))  # what a pull records
    session.commit()
    session.expire_all()
    pulled = session.get(Device, device.id)
    assert pulled is not None and pulled.last_sync_at == first + timedelta(seconds=1)


def test_volunteers_codes_and_deactivation(session: Session) -> None:
    geo = make_geography(session)
    commune = geo.communes[0]
    village = _unit(session, geo.villages[commune][0])
    added = add_volunteer(session, village, " Lê  Văn Cường ", clean_phone("+84 912 345 678"), True)
    assert added.code is not None
    user = session.get(User, added.user_id)
    assert user is not None and user.name == "Lê Văn Cường" and user.phone == "0912345678"
    assert user.youth_union and user.deactivated_at is None
    with pytest.raises(VolunteerError):
        clean_phone("0112345678")
    with pytest.raises(VolunteerError):
        add_volunteer(session, village, "\x00", None, False)

    second = hand_out_code(session, user)
    codes = pending_codes(session, user.id)
    assert len(codes) == 2
    assert withdraw_code(session, user.id, codes[0].ref) == 1
    with pytest.raises(VolunteerError):
        withdraw_code(session, user.id, "' OR 1=1 --")
    left = pending_codes(session, user.id)
    assert len(left) == 1
    survivor = second if devices.code_hash(second).startswith(left[0].ref) else added.code
    used = devices.enroll(session, survivor, "máy")
    assert used.user_id == user.id
    assert pending_codes(session, user.id) == []
    assert withdraw_code(session, user.id, "") == 0  # a used code stays (revoke its laptop)

    laptop = session.get(Device, used.device_id) or pytest.fail("device")
    laptop.created_at = datetime(2026, 1, 1, tzinfo=UTC)  # enrolled before its entries' dates
    ingest_mutations(
        session,
        laptop,
        mutations([entry_data(village.code, 1), entry_data(village.code, 2, outcome="failed")]),
    )
    rows = {r.user_id: r for r in volunteers_in(session, _unit(session, commune), "2026")}
    assert (rows[user.id].entries, rows[user.id].counted, rows[user.id].waiting) == (2, 1, 2)
    village_rows = volunteers_in(session, village, "2026")
    assert sum(r.counted for r in village_rows) == sum(
        r.achieved for r in read_tally(session, village.code, "2026", subtree=False)
    )

    hand_out_code(session, user)
    set_active(session, user, False)
    assert pending_codes(session, user.id) == []
    with pytest.raises(VolunteerError):
        hand_out_code(session, user)


def test_bulk_review_is_all_or_nothing(session: Session) -> None:
    geo = make_geography(session)
    commune, other = geo.communes
    village = geo.villages[commune][0]
    device = make_device(session, village)
    result = ingest_mutations(
        session, device, mutations([entry_data(village, n, at=minutes(n)) for n in range(1, 5)])
    )
    foreign = geo.villages[other][0]
    outside = ingest_mutations(
        session, make_device(session, foreign), mutations([entry_data(foreign, 9)])
    )
    reviewer = _coordinator(session, commune)
    session.commit()
    ids = [r.entry_id for r in result.results if r.entry_id]
    foreign_id = outside.results[0].entry_id
    assert foreign_id is not None

    with pytest.raises(ReviewRefused) as missing:
        review_entries(session, ids[:2], "rejected", "  ", reviewer, commune)
    assert missing.value.code == "reason_required"
    with pytest.raises(ReviewRefused):
        review_entries(session, [*ids[:2], foreign_id], "approved", "", reviewer, commune)
    with pytest.raises(ReviewRefused):
        review_entries(session, ids[:1], "maybe", "", reviewer, commune)
    session.rollback()
    assert session.scalar(select(func.count()).where(Entry.review_status != "pending")) == 0

    assert review_entries(session, ids[:3], "rejected", "Sai số định danh", reviewer, commune) == 3
    session.commit()
    statuses = dict(session.execute(select(Entry.id, Entry.review_status)).all())
    assert [statuses[i] for i in ids] == ["rejected"] * 3 + ["pending"]
    assert recount(session) == []
    logged = session.scalars(select(AuditLog).where(AuditLog.action == "review")).all()
    assert len(logged) == 3 and {log.unit_code for log in logged} == {commune}


def test_a_quota_file_with_one_bad_row_saves_nothing(session: Session) -> None:
    geo = make_geography(session)
    commune, other = geo.communes
    v1, v2 = geo.villages[commune]
    set_quota(session, commune, "vneid_level1", "2026", 100)
    session.commit()
    commune_unit = _unit(session, commune)

    def allowed(unit: Unit) -> str | None:
        return None if unit.parent_code == commune_unit.code else "không thuộc xã / not yours"

    rows: list[dict[str, str | None]] = [
        {"unit_code": v1, "service": "vneid_level1", "period": "2026", "target": "40"},
        {"unit_code": v2, "service": "vneid_level1", "period": "2026", "target": "abc"},
        {"unit_code": geo.villages[other][0], "service": "vneid_level1", "period": "2026",
         "target": "5"},
    ]  # fmt: skip
    saved, errors = import_quotas_whole(session, rows, allowed)
    assert saved == 0
    assert [(e.row, e.field) for e in errors] == [(3, "target"), (4, "unit_code")]
    assert session.scalar(select(func.count()).select_from(Quota)) == 1

    rows[1]["target"] = "1.000"
    saved, errors = import_quotas_whole(session, rows[:2], allowed)
    assert (saved, errors) == (2, [])
    split = {s.service: s for s in quota_split(session, commune_unit, "2026")}
    assert split["vneid_level1"].own == 100 and split["vneid_level1"].children_sum == 1040
    assert not split["vneid_level1"].short
    set_quota(session, v2, "vneid_level1", "2026", 10)
    split = {s.service: s for s in quota_split(session, commune_unit, "2026")}
    assert split["vneid_level1"].children_sum == 50 and split["vneid_level1"].short


def test_reads_and_exports_land_in_the_communes_audit(session: Session, tmp_path: object) -> None:
    from pathlib import Path

    from sync_server.services.exports import export_entries

    geo = make_geography(session)
    commune = geo.communes[0]
    village = geo.villages[commune][0]
    ingest_mutations(session, make_device(session, village), mutations([entry_data(village, 1)]))
    reader = _coordinator(session, commune)
    session.commit()
    page = list_entries(
        session, reader, _unit(session, commune), EntryQuery(unit=commune, village=village)
    )
    assert page.count == 1
    export_entries(session, village, "csv", Path(str(tmp_path)) / "out.csv", reader.id)
    session.commit()
    rows, total = audit_page(session, _unit(session, commune))
    assert total == 2
    assert [r.action for r in rows] == ["export", "entry.read"]
    assert {r.user_name for r in rows} == {reader.name}
    assert audit_page(session, _unit(session, geo.communes[1])) == ([], 0)
