"""The demo campaign reads like the article's: 118 % accounts, 172 % outside youth age, 34 %."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from seed.loader import seed_province
from sync_server.db.engine import make_engine
from sync_server.services.campaign import campaign_report
from sync_server.services.init import migrate
from sync_server.services.recount import recount

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
LEVEL2_PER_ACCOUNT = 73_921 / 74_390


@pytest.mark.parametrize("entries", [4000])
def test_demo_campaign_shares_land_near_the_articles(sqlite_url: str, entries: int) -> None:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            seed_province(session, "12", seed=5, demo_entries=entries, now=NOW)
            report = campaign_report(session, "12", "2026")
            assert recount(session) == []
    finally:
        engine.dispose()
    total = report.total
    assert total.accounts_percent == pytest.approx(118, abs=4)
    assert total.non_youth_percent == pytest.approx(172, abs=6)
    assert total.transaction_percent == pytest.approx(34, abs=4)
    assert total.vneid_level2 / total.accounts == pytest.approx(LEVEL2_PER_ACCOUNT, abs=0.08)
    shares = [r.accounts_percent for r in report.rows if r.accounts_percent is not None]
    assert min(shares) < 100 < max(shares)
    assert sum(r.accounts_quota or 0 for r in report.rows) == total.accounts_quota
    assert 0.7 * total.members < total.youth_union_members < total.members
    assert total.communes_with_team == total.communes == 38
