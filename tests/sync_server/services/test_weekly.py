"""Entries counted per week: weeks in Vietnam's time, counted entries only, adding up to the
tally's achieved; kept through dedupe and review, checked by recount, filled by the migration
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.db.engine import alembic_config, make_engine
from sync_server.db.models import Unit, User, WeekTally
from sync_server.services.init import migrate
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.review import apply_review
from sync_server.services.tally import read_tally
from sync_server.services.weekly import entries_per_week, period_weeks

NOW = datetime(2026, 3, 20, 5, 0, tzinfo=UTC)


def test_weeks_of_a_period_run_monday_to_sunday_up_to_this_week() -> None:
    weeks = period_weeks("2026", date(2026, 3, 20))
    assert weeks[0] == date(2025, 12, 29)  # the Monday of 1 January 2026's week
    assert weeks[-1] == date(2026, 3, 16) and len(weeks) == 12
    assert all(w.weekday() == 0 for w in weeks)
    assert len(period_weeks("2025", date(2026, 3, 20))) == 53  # a past year: all its weeks


def test_entries_fall_in_their_local_week_and_add_up_to_achieved(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=1)
    village = geo.villages[geo.communes[0]][0]
    device = make_device(session, village)
    sunday_night = datetime(2026, 3, 8, 16, 30, tzinfo=UTC)  # Sunday 23:30 in Vietnam
    monday_early = datetime(2026, 3, 8, 17, 30, tzinfo=UTC)  # Monday 00:30 in Vietnam
    payloads = [
        entry_data(village, 1, at=sunday_night),
        entry_data(village, 2, at=monday_early),
        entry_data(village, 3, at=monday_early, service="dvc_account"),
        entry_data(village, 4, at=monday_early, outcome="failed", reasons=["no_network"]),
        entry_data(village, 2, at=monday_early),  # the same citizen again: not counted twice
    ]
    ingest_mutations(session, device, mutations(payloads))
    session.commit()
    for code in (geo.province, geo.communes[0], village):
        unit = session.get(Unit, code)
        assert unit is not None
        weekly = entries_per_week(session, unit, "2026", now=NOW)
        at = {week: n for n, week in enumerate(weekly.weeks)}
        level1 = weekly.counts["vneid_level1"]
        assert level1[at[date(2026, 3, 2)]] == 1 and level1[at[date(2026, 3, 9)]] == 1
        assert sum(level1) == 2 and sum(weekly.counts["dvc_account"]) == 1
        for row in read_tally(session, code, "2026", subtree=False):
            assert sum(weekly.counts[row.service]) == row.achieved
    other = session.get(Unit, geo.communes[1])
    assert other is not None and entries_per_week(session, other, "2026", now=NOW).counts == {}


def _weeks(session: Session, code: str) -> dict[tuple[str, str], int]:
    unit = session.get(Unit, code)
    assert unit is not None
    weekly = entries_per_week(session, unit, "2026", now=NOW)
    return {
        (service, week.isoformat()): n
        for service, counts in weekly.counts.items()
        for week, n in zip(weekly.weeks, counts, strict=True)
        if n
    }


def test_a_rejection_moves_the_count_to_the_next_success_week(session: Session) -> None:
    geo = make_geography(session)
    va, vb = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]
    a, b = make_device(session, va), make_device(session, vb)
    reviewer = User(name="Phạm Thị Dung", role="coordinator", unit_code=geo.communes[0])
    session.add(reviewer)
    first = ingest_mutations(session, a, mutations([entry_data(va, 4, at=minutes(1))]))
    ingest_mutations(session, b, mutations([entry_data(vb, 4, at=minutes(60 * 24 * 8))]))
    session.commit()
    assert _weeks(session, geo.province) == {("vneid_level1", "2026-03-02"): 1}
    entry_id = first.results[0].entry_id
    assert entry_id is not None
    apply_review(session, entry_id, "rejected", "Sai số định danh", reviewer)
    session.commit()
    assert _weeks(session, geo.province) == {("vneid_level1", "2026-03-09"): 1}
    assert _weeks(session, va) == {} and _weeks(session, vb) == {("vneid_level1", "2026-03-09"): 1}
    assert recount(session) == []


def test_recount_finds_and_fixes_a_wrong_week(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    ingest_mutations(session, device, mutations([entry_data(village, n) for n in range(3)]))
    session.commit()
    assert recount(session) == []
    session.execute(update(WeekTally).where(WeekTally.unit_code == geo.province).values(achieved=9))
    session.add(WeekTally(unit_code=village, service="dvc_account", period="2026",
                          week="2026-01-05", achieved=2))  # fmt: skip
    session.commit()
    found = recount(session)
    assert {m.kind for m in found} == {"week"} and len(found) == 2
    recount(session, fix=True)
    session.commit()
    assert recount(session) == []
    assert _weeks(session, geo.province) == {("vneid_level1", "2026-03-02"): 3}


def test_the_migration_fills_the_weeks_from_stored_entries(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with Session(engine) as session:
        geo = make_geography(session, communes=2, villages_per_commune=2)
        for n, village in enumerate(geo.all_villages()):
            device = make_device(session, village)
            payloads = [entry_data(village, 10 * n + i, at=minutes(60 * 24 * i)) for i in range(9)]
            ingest_mutations(session, device, mutations(payloads))
        session.commit()
        kept = session.execute(select(WeekTally).order_by(WeekTally.unit_code)).scalars().all()
        before = sorted((w.unit_code, w.service, w.period, w.week, w.achieved) for w in kept)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_bundle_signing_key")
    migrate(engine)
    with Session(engine) as session:
        filled = session.execute(select(WeekTally)).scalars().all()
        after = sorted((w.unit_code, w.service, w.period, w.week, w.achieved) for w in filled)
        assert len(before) > 3 and after == before
        assert recount(session) == []
    engine.dispose()
