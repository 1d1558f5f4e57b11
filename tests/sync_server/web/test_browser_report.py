# mypy: disable-error-code="import-not-found"
"""The campaign report and the province's commune quotas in real headless Chromium.

A seeded province (Lai Châu, demo entries) behind a real server process: its officer opens
the report, whose every figure equals a count made straight from the raw tables by the SQL of
tests/sync_server/services/test_campaign_report.py (not through `campaign_report`); the XLSX
downloads and opens with openpyxl with the same numbers; printed, it is one A4-landscape
report; a coordinator cannot open the province's report, another province's officer sees
nothing; a commune-quota CSV with bad rows names them all and saves nothing. Screenshots go to
/tmp/shots/report/.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_factories import World
from browser_helpers import harness, overflow, scrolled_tables, serious_violations, shots
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from web_helpers import PASSWORD, staff, xlsx_matches_page

from seed.loader import seed_province
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Quota, Unit
from sync_server.services.campaign_files import HEADER_ROW
from sync_server.services.init import migrate

pytestmark = pytest.mark.slow

SHOTS = shots("report")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
PERIOD = "2026"
PROVINCE = "12"
OTHER = "01"


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _raw() -> Any:
    """The raw-table counts of the report's service test (one SQL for both tests)."""
    path = Path(__file__).parents[1] / "services" / "test_campaign_report.py"
    return _load("campaign_raw_counts", path)


class Site:
    """A real server on a seeded province, and the logins of the people who use it."""

    def __init__(self, url: str, engine: Any, commune: str) -> None:
        self.url = url
        self.engine = engine
        self.commune = commune


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("report-site")
    db_url = f"sqlite:///{folder / 'server.sqlite3'}"
    migrate(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        seed_province(session, PROVINCE, seed=3, demo_entries=800, now=NOW)
        session.add(Unit(code=OTHER, name="Hà Nội", level="province", province_code=OTHER))
        session.commit()
        commune = session.scalars(
            select(Unit.code).where(Unit.parent_code == PROVINCE).order_by(Unit.code)
        ).first()
    assert commune is not None
    world = World(make_sessionmaker(engine))
    staff(world, "province", PROVINCE, "Lò Văn Tỉnh", login="tinh")
    staff(world, "coordinator", commune, "Phạm Thị Dung", login="dung")
    staff(world, "province", OTHER, "Nguyễn Văn Hà", login="hanoi")
    server = harness().ServerProcess(db_url, folder).start()
    try:
        yield Site(server.url, engine, commune)
    finally:
        server.stop()
        engine.dispose()


def _page_as(
    browser: Any, site: Site, login: str, width: int = 1366, height: int = 768, **options: Any
) -> Any:
    page = browser.new_page(
        viewport={"width": width, "height": height}, accept_downloads=True, **options
    )
    page.goto(site.url + "/login")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/units/.*"))
    return page


def _shown(page: Any) -> dict[tuple[str, str], str]:
    found = page.eval_on_selector_all(
        "table[data-table=campaign-report] data[data-metric]",
        "els => els.map(e => [e.dataset.unit, e.dataset.metric, e.dataset.value])",
    )
    return {(unit, metric): value for unit, metric, value in found}


def test_the_province_report_equals_a_raw_count_and_downloads_as_the_same_xlsx(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _page_as(browser, site, "tinh")
    page.goto(f"{site.url}/reports/campaign?unit={PROVINCE}&period={PERIOD}")
    assert page.text_content("h1") == "BÁO CÁO KẾT QUẢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"
    shown = _shown(page)
    raw = _raw()
    with Session(site.engine) as session:
        expected = raw._expected(session)
        helped_total = session.scalar(
            text(raw.RAW_HELPED_TOTAL), {"province": PROVINCE, "period": PERIOD}
        )
        communes = session.scalars(
            select(Unit.code).where(Unit.parent_code == PROVINCE, Unit.retired.is_(False))
        ).all()
    metrics = sorted({m for figures in expected.values() for m in figures})
    assert len(metrics) == 11 and len(communes) == 38
    for code in communes:
        for metric in metrics:
            want = expected.get(code, {}).get(metric, 0)
            assert shown[(code, metric)] == str(want), (code, metric)
    for metric in metrics:
        if metric not in ("citizens_helped", "communes_with_team"):
            total = sum(f.get(metric, 0) for f in expected.values())
            assert shown[(PROVINCE, metric)] == str(total), metric
    assert shown[(PROVINCE, "citizens_helped")] == str(helped_total)
    assert shown[(PROVINCE, "communes_with_team")] == str(len(expected))
    assert shown[(PROVINCE, "communes")] == "38"
    accounts = int(shown[(PROVINCE, "accounts")])
    assert accounts > 0
    share = 100 * int(shown[(PROVINCE, "transacting_accounts")]) / accounts
    assert shown[(PROVINCE, "transaction_percent")] == f"{round(share, 1):.1f}"
    page.screenshot(path=str(SHOTS / "report-1366.png"), full_page=False)

    with page.expect_download() as info:
        page.click("text=Tải tệp XLSX")
    path = tmp_path / "report.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename == f"bao-cao-chien-dich-{PROVINCE}-{PERIOD}.xlsx"
    sheet = load_workbook(path).active
    assert sheet is not None
    lines = list(sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 39, values_only=True))
    assert [line[0] for line in lines] == [*sorted(communes), PROVINCE]
    xlsx_matches_page(lines, shown)
    page.close()


def test_printed_the_report_is_one_a4_landscape_table(site: Site, browser: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _page_as(browser, site, "tinh")
    page.goto(f"{site.url}/reports/campaign?unit={PROVINCE}&period={PERIOD}")
    page.emulate_media(media="print")
    assert not page.is_visible(".report-tools") and not page.is_visible(".top .tools")
    assert page.is_visible("table[data-table=campaign-report] tfoot")
    # An A4 landscape sheet is 297 mm wide: at 96 px/in, 1123 px less 2 × 10 mm margins.
    page.set_viewport_size({"width": 1047, "height": 720})
    width = page.evaluate(
        "document.querySelector('table[data-table=campaign-report]').getBoundingClientRect().width"
    )
    assert width <= 1047, width
    page.screenshot(path=str(SHOTS / "report-print.png"), full_page=True)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    sizes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert sizes and all(float(w) > float(h) for w, h in sizes)  # landscape
    assert round(float(sizes[0][0])) == 842 and round(float(sizes[0][1])) == 595  # A4, in pt
    page.close()


def test_phone_and_english_layouts_pass_axe(site: Site, browser: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1366, 768)):
        page = _page_as(browser, site, "tinh", width, height, bypass_csp=True)
        for lang in ("vi", "en"):
            page.goto(f"{site.url}/lang?to={lang}&next=/")
            for path in (f"/reports/campaign?unit={PROVINCE}", f"/quotas?unit={PROVINCE}",
                         f"/reports/campaign?unit={site.commune}"):  # fmt: skip
                response = page.goto(site.url + path)
                assert response is not None and response.status == 200, path
                name = path.strip("/").replace("/", "_").replace("?unit=", "-")
                page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=False)
                assert overflow(page) <= 1, (path, width)
                if width == 1366:
                    assert scrolled_tables(page) == [], (path, lang)
                assert serious_violations(page) == [], (path, width, lang)
        page.close()


def test_a_coordinator_and_another_province_cannot_open_the_province_report(
    site: Site, browser: Any
) -> None:
    refused = {
        "dung": (f"/reports/campaign?unit={PROVINCE}", f"/reports/campaign.xlsx?unit={PROVINCE}",
                 f"/quotas?unit={PROVINCE}"),
        "hanoi": (f"/reports/campaign?unit={PROVINCE}", f"/reports/campaign?unit={site.commune}",
                  f"/reports/campaign.xlsx?unit={PROVINCE}", f"/quotas?unit={PROVINCE}",
                  f"/units/{PROVINCE}"),
    }  # fmt: skip
    for login, paths in refused.items():
        page = _page_as(browser, site, login)
        for path in paths:
            response = page.request.get(site.url + path)
            assert response.status in (403, 404), (login, path, response.status)
            body = response.text()
            assert "data-value" not in body and "data-unit-row" not in body, (login, path)
        page.close()
    page = _page_as(browser, site, "dung")
    response = page.goto(f"{site.url}/reports/campaign?unit={site.commune}")
    assert response is not None and response.status == 200
    assert page.locator("tr[data-unit-row]").count() > 1  # its villages and its totals
    page.close()


def test_a_commune_quota_file_with_bad_rows_saves_nothing(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    page = _page_as(browser, site, "tinh")
    page.goto(f"{site.url}/quotas?unit={PROVINCE}&period={PERIOD}")
    with Session(site.engine) as session:
        before = session.execute(select(Quota.unit_code, Quota.target_group, Quota.target)).all()
        village = session.scalars(select(Unit.code).where(Unit.commune_code == site.commune,
                                  Unit.level == "village")).first()  # fmt: skip
    csv_path = tmp_path / "communes.csv"
    csv_path.write_text(
        "unit_code,service,period,target,group\n"
        f"{site.commune},dvc_account,{PERIOD},999,all\n"
        f"{site.commune},dvc_account,{PERIOD},1.2.3,non_youth\n"
        f"{village},dvc_account,{PERIOD},5,all\n"
        f"{site.commune},dvc_account,{PERIOD},5,elders\n",
        encoding="utf-8",
    )
    page.set_input_files("#q-file", str(csv_path))
    page.click("#import ~ form button[type=submit]")
    page.wait_for_selector(".row-errors li")
    named = page.eval_on_selector_all(".row-errors li", "els => els.map(e => e.dataset.row)")
    assert named == ["3", "4", "5"]
    with Session(site.engine) as session:
        after = session.execute(select(Quota.unit_code, Quota.target_group, Quota.target)).all()
    assert sorted(after) == sorted(before)
    page.screenshot(path=str(SHOTS / "commune-quotas-errors.png"), full_page=True)
    page.close()
