"""Entries counted per week: weeks in Vietnam's time, counted entries only, adding up to the
tally's achieved (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from server_factories import entry_data, make_device, make_geography, mutations
from sqlalchemy.orm import Session

from sync_server.db.models import Unit
from sync_server.services.ingest import ingest_mutations
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
