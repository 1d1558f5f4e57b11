"""Tally reads (quota, percentage, subtree) and recount catching and fixing drift."""

from __future__ import annotations

import pytest
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import ChangeLog, Entry, Quota, Tally
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.tally import read_tally


def test_read_tally_with_quotas_and_subtree(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=2)
    village = geo.villages[geo.communes[0]][0]
    device = make_device(session, village)
    payloads = [entry_data(village, n, birth_year=1990 if n % 2 else 2001) for n in range(5)]
    ingest_mutations(session, device, mutations(payloads))
    session.add_all(
        [
            Quota(unit_code=village, service="vneid_level1", period="2026", target=4),
            Quota(unit_code=geo.communes[1], service="vneid_level1", period="2026", target=10),
            Quota(unit_code=geo.province, service="vneid_level1", period="2026", target=0),
        ]
    )
    session.commit()
    rows = read_tally(session, geo.province, "2026")
    by_unit = {r.unit_code: r for r in rows}
    assert rows[0].unit_code == geo.province and rows[0].level == wire.UnitLevel.PROVINCE
    assert by_unit[village].quota == 4 and by_unit[village].percentage == 125.0
    assert (by_unit[village].youth, by_unit[village].non_youth) == (3, 2)
    assert by_unit[village].unit_name == "Thôn 1 xã 1"
    assert by_unit[geo.communes[1]].achieved == 0 and by_unit[geo.communes[1]].percentage == 0.0
    assert by_unit[geo.province].percentage is None  # a zero quota has no percentage
    assert by_unit[geo.communes[0]].quota is None and by_unit[geo.communes[0]].achieved == 5
    commune_rows = read_tally(session, geo.communes[0], None)
    assert {r.unit_code for r in commune_rows} == {geo.communes[0], village}
    assert [r.unit_code for r in read_tally(session, village, "2026", subtree=False)] == [village]
    assert read_tally(session, geo.province, "1999") == []
    assert read_tally(session, "no-such-unit", None) == []
    assert {r.unit_code for r in read_tally(session, None, None, subtree=False)} == {geo.province}
    wire.TallyRow.model_validate(rows[0].model_dump())  # the rows are valid wire models


@pytest.mark.parametrize("damage", ["tally", "flag"])
def test_recount_finds_and_fixes_drift(session: Session, damage: str) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    payloads = [entry_data(village, n % 3, at=minutes(n)) for n in range(6)]
    ingest_mutations(session, device, mutations(payloads))
    session.commit()
    assert recount(session) == []
    if damage == "tally":
        session.execute(update(Tally).where(Tally.unit_code == village).values(achieved=99))
    else:
        session.execute(update(Entry).values(counted=False))
    session.commit()
    found = recount(session)
    assert found and all(m.describe() for m in found)
    assert {m.kind for m in found} == ({"tally"} if damage == "tally" else {"counted"})
    recount(session, fix=True)
    session.commit()
    assert recount(session) == []
    if damage == "tally":  # devices hear about the repaired village tally
        latest = session.scalars(
            select(ChangeLog).where(ChangeLog.kind == "tally").order_by(ChangeLog.seq.desc())
        ).first()
        assert latest is not None and latest.scope == village and latest.data["achieved"] == 3
    row = read_tally(session, village, "2026", subtree=False)[0]
    assert row.achieved == 3


def test_read_tally_of_a_unit_and_its_children_skips_deeper_levels(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=2)
    for commune in geo.communes:
        device = make_device(session, geo.villages[commune][0])
        payloads = [entry_data(geo.villages[commune][0], n) for n in range(3)]
        ingest_mutations(session, device, mutations(payloads))
    session.add(Quota(unit_code=geo.communes[1], service="vneid_level2", period="2026", target=7))
    session.commit()
    whole = read_tally(session, geo.province, "2026")
    shown = read_tally(session, geo.province, "2026", children=True)
    # The same rows, field for field, as the whole subtree's for the levels a province page
    # shows; nothing of the villages.
    expected = [r for r in whole if r.unit_code in {geo.province, *geo.communes}]
    assert [r.model_dump() for r in shown] == [r.model_dump() for r in expected]
    assert {r.unit_code for r in shown} == {geo.province, *geo.communes}
    assert any(r.quota == 7 and r.achieved == 0 for r in shown)  # a quota without a tally
    commune = read_tally(session, geo.communes[0], "2026", children=True)
    assert commune == read_tally(session, geo.communes[0], "2026")
    village = geo.villages[geo.communes[0]][0]
    alone = read_tally(session, village, "2026")
    assert read_tally(session, village, "2026", children=True) == alone
