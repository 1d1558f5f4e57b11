"""The campaign report's figures equal those computed straight from the raw tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from seed.loader import seed_province
from sync_server.db.engine import make_engine
from sync_server.db.models import Entry, Team, User
from sync_server.services.campaign import CampaignReport, campaign_report
from sync_server.services.init import migrate
from sync_server.services.quotas import set_quota
from sync_server.services.review import apply_review
from sync_server.services.targets import TargetError, set_transaction_target
from sync_server.services.units import UnitError

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
PERIOD = "2026"
PROVINCE = "12"

# The counting entry of each citizen, service and period: its first non-rejected success
# received (the same instant: the earlier assisted_at), as dedupe.COUNTING_ORDER says.
_FIRSTS = """
WITH eligible AS (
    SELECT id, citizen_key, service, period, commune_code, province_code, age_group,
           row_number() OVER (PARTITION BY citizen_key, service, period
                              ORDER BY received_at, assisted_at, id) AS rn
    FROM entries
    WHERE outcome = 'success' AND review_status <> 'rejected' AND period = :period
), firsts AS (SELECT * FROM eligible WHERE rn = 1)
"""
RAW_FIGURES = (
    _FIRSTS
    + """
SELECT a.commune_code,
       SUM(CASE WHEN a.service = 'dvc_account' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.service = 'dvc_account' AND a.age_group = 'non_youth' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.service = 'dvc_account' AND EXISTS (
               SELECT 1 FROM firsts t
               WHERE t.citizen_key = a.citizen_key AND t.service = 'dvc_transaction')
           THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.service = 'vneid_level1' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.service = 'vneid_level2' THEN 1 ELSE 0 END)
FROM firsts a WHERE a.province_code = :province
GROUP BY a.commune_code
"""
)
RAW_HELPED = """
SELECT commune_code, COUNT(DISTINCT citizen_key) FROM entries
WHERE province_code = :province AND period = :period AND review_status <> 'rejected'
GROUP BY commune_code
"""
RAW_HELPED_TOTAL = """
SELECT COUNT(DISTINCT citizen_key) FROM entries
WHERE province_code = :province AND period = :period AND review_status <> 'rejected'
"""
RAW_TEAMS = """
SELECT v.commune_code, COUNT(t.id), COUNT(DISTINCT v.code),
       (SELECT COUNT(*) FROM users u JOIN teams t2 ON u.team_id = t2.id
        JOIN units v2 ON v2.code = t2.village_code
        WHERE v2.commune_code = v.commune_code AND u.role = 'volunteer'),
       (SELECT COUNT(*) FROM users u JOIN teams t2 ON u.team_id = t2.id
        JOIN units v2 ON v2.code = t2.village_code
        WHERE v2.commune_code = v.commune_code AND u.role = 'volunteer' AND u.youth_union)
FROM teams t JOIN units v ON v.code = t.village_code
WHERE v.province_code = :province
GROUP BY v.commune_code
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Lai Châu with 1,500 demo entries, once per module (SQLite)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('campaign') / 'server.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed_province(session, PROVINCE, seed=3, demo_entries=1500, now=NOW)
    engine.dispose()
    return url


@pytest.fixture
def engine(seeded: str, tmp_path: Any) -> Iterator[Engine]:
    """A private copy of the seeded database."""
    import shutil
    from pathlib import Path

    source = Path(seeded.removeprefix("sqlite:///"))
    target = tmp_path / "copy.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


def _expected(session: Session) -> dict[str, dict[str, int]]:
    params = {"province": PROVINCE, "period": PERIOD}
    figures: dict[str, dict[str, int]] = {}

    def row(code: str) -> dict[str, int]:
        return figures.setdefault(code, {})

    names = (
        "accounts", "non_youth_accounts", "transacting_accounts", "vneid_level1", "vneid_level2",
    )  # fmt: skip
    for code, *values in session.execute(text(RAW_FIGURES), params):
        row(code).update(zip(names, (int(v) for v in values), strict=True))
    for code, helped in session.execute(text(RAW_HELPED), params):
        row(code)["citizens_helped"] = int(helped)
    for code, teams, villages, members, youth_union in session.execute(text(RAW_TEAMS), params):
        row(code).update(
            teams=int(teams),
            villages_with_team=int(villages),
            members=int(members),
            youth_union_members=int(youth_union),
            communes_with_team=1,
        )
    return figures


def _shown(report: CampaignReport, names: set[str]) -> dict[str, dict[str, int]]:
    return {
        r.unit_code: {k: v for k, v in r.as_dict().items() if k in names and v} for r in report.rows
    }


def _mark_some_youth_union(session: Session) -> None:
    ids = session.scalars(select(User.id).where(User.role == "volunteer").order_by(User.id))
    chosen = [i for n, i in enumerate(ids) if n % 3 != 0]
    session.execute(update(User).where(User.id.in_(chosen)).values(youth_union=True))


def test_report_figures_equal_a_raw_count(engine: Engine) -> None:
    with Session(engine) as session:
        _mark_some_youth_union(session)
        # A second team in one village, and rejected reviews: both must show.
        village = session.scalars(select(Team.village_code).order_by(Team.id)).first()
        assert village is not None
        session.add(Team(village_code=village, name="Tổ thứ hai"))
        reviewer = session.scalars(select(User).where(User.role == "volunteer")).first()
        assert reviewer is not None
        accounts = session.scalars(
            select(Entry.id)
            .where(Entry.service == "dvc_account", Entry.counted.is_(True))
            .order_by(Entry.id)
            .limit(5)
        ).all()
        for entry_id in accounts:
            apply_review(session, entry_id, "rejected", "sai", reviewer)
        session.commit()
        report = campaign_report(session, PROVINCE, PERIOD, now=NOW)
        expected = _expected(session)
    names = {k for figures in expected.values() for k in figures}
    wanted = {code: {k: v for k, v in f.items() if v} for code, f in expected.items()}
    assert _shown(report, names) == {r.unit_code: wanted.get(r.unit_code, {}) for r in report.rows}
    total = report.total
    assert total.accounts == sum(f.get("accounts", 0) for f in expected.values()) > 0
    assert total.transacting_accounts == sum(
        f.get("transacting_accounts", 0) for f in expected.values()
    )
    assert total.transacting_accounts > 0
    assert total.members == sum(f["members"] for f in expected.values())
    assert 0 < total.youth_union_members < total.members
    assert total.teams == total.villages_with_team + 1
    assert total.communes == len(report.rows) == 38
    assert total.communes_with_team == 38
    with Session(engine) as session:
        helped = session.scalar(text(RAW_HELPED_TOTAL), {"province": PROVINCE, "period": PERIOD})
    assert total.citizens_helped == helped
    assert total.citizens_helped <= sum(r.citizens_helped for r in report.rows)


def test_quotas_targets_and_percentages(engine: Engine) -> None:
    with Session(engine) as session:
        commune = campaign_report(session, PROVINCE, PERIOD).rows[0]
        set_quota(session, commune.unit_code, "dvc_account", PERIOD, 10, "non_youth")
        set_quota(session, commune.unit_code, "dvc_account", PERIOD, 20)
        set_transaction_target(session, PROVINCE, PERIOD, 35)
        set_transaction_target(session, commune.unit_code, PERIOD, 50)
        session.commit()
        report = campaign_report(session, PROVINCE, PERIOD)
    row = report.rows[0]
    assert row.accounts_quota == 20 and row.non_youth_quota == 10
    assert row.accounts_percent == round(100 * row.accounts / 20, 1)
    assert row.non_youth_percent == round(100 * row.non_youth_accounts / 10, 1)
    assert row.transaction_target == 50.0
    assert report.rows[1].transaction_target == 35.0
    assert report.total.transaction_target == 35.0
    assert report.total.transaction_percent == round(
        100 * report.total.transacting_accounts / report.total.accounts, 1
    )


def test_default_target_and_a_commune_report(engine: Engine) -> None:
    with Session(engine) as session:
        province = campaign_report(session, PROVINCE, PERIOD)
        commune = campaign_report(session, province.rows[0].unit_code, PERIOD)
    assert province.total.transaction_target == 40.0
    shown = province.rows[0]
    assert commune.total.accounts == shown.accounts
    assert commune.total.transacting_accounts == shown.transacting_accounts
    assert commune.total.members == shown.members
    assert commune.total.citizens_helped == shown.citizens_helped
    assert sum(r.accounts for r in commune.rows) == shown.accounts
    assert sum(r.teams for r in commune.rows) == shown.teams
    assert {r.level for r in commune.rows} == {"village"}


def test_bad_unit_or_period_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        with pytest.raises(UnitError):
            campaign_report(session, "999", PERIOD)
        with pytest.raises(TargetError):
            campaign_report(session, PROVINCE, "20x6")


@pytest.mark.postgres
def test_report_figures_on_postgres(pg_url: str) -> None:
    migrate(pg_url)
    engine = make_engine(pg_url)
    try:
        with Session(engine) as session:
            seed_province(session, PROVINCE, seed=3, demo_entries=400, now=NOW)
            _mark_some_youth_union(session)
            session.commit()
            report = campaign_report(session, PROVINCE, PERIOD, now=NOW)
            expected = _expected(session)
            helped = session.scalar(
                text(RAW_HELPED_TOTAL), {"province": PROVINCE, "period": PERIOD}
            )
    finally:
        engine.dispose()
    names = {k for figures in expected.values() for k in figures}
    wanted = {code: {k: v for k, v in f.items() if v} for code, f in expected.items()}
    assert _shown(report, names) == {r.unit_code: wanted.get(r.unit_code, {}) for r in report.rows}
    assert report.total.accounts > 0 and report.total.citizens_helped == helped
