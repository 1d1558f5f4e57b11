# mypy: disable-error-code="import-not-found"
"""The province page in real headless Chromium against a real server process.

A province officer signs in, lands on the province page, drills down province → commune →
village and back up by the crumbs, and every figure read through data-* equals the tally
service for its unit; the charts are named images in both languages; sort links work with
JavaScript off; a coordinator and another province's officer see no figure. Screenshots at
1366×768 and 390×844 in both languages (and in print) go to /tmp/shots/province/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_factories import (
    COMMUNE_A,
    COMMUNE_B,
    HEADERS,
    PROVINCE,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    World,
    entry,
    push_body,
)
from browser_helpers import harness, overflow, scrolled_tables, serious_violations, shots
from commune_world import PERIOD
from sqlalchemy.orm import Session
from web_helpers import PASSWORD, staff

from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Unit
from sync_server.services.citizens import citizens_helped
from sync_server.services.init import migrate
from sync_server.services.quotas import set_quota
from sync_server.services.tally import read_tally

pytestmark = pytest.mark.slow

SHOTS = shots("province")
FIGURES_JS = (
    "els => els.map(e => [e.dataset.unit, e.dataset.service, e.dataset.metric, e.dataset.value])"
)
OTHER_PROVINCE = "01"


class Site:
    """A real server process on a seeded SQLite file, and the World that filled it."""

    def __init__(self, url: str, world: World) -> None:
        self.url = url
        self.world = world


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    migrate(db_url)
    engine = make_engine(db_url)
    world = World(make_sessionmaker(engine))
    world.units()
    with world.factory() as session:
        session.add(Unit(code=OTHER_PROVINCE, name="Hà Nội", level="province",
                         province_code=OTHER_PROVINCE))  # fmt: skip
        session.commit()
    staff(world, "province", PROVINCE, "Lê Văn Tỉnh", login="tinh")
    staff(world, "province", OTHER_PROVINCE, "Đỗ Thị Hà", login="ha")
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    server = harness().ServerProcess(db_url, tmp_path).start()
    try:
        plan = {VILLAGE_A: (6, 10), VILLAGE_A2: (2, 8), VILLAGE_B: (5, 4)}
        for village, (count, quota) in plan.items():
            volunteer = world.volunteer(village, name=f"Tình nguyện viên {village}")
            items = [entry(village) for _ in range(count)]
            items.append(entry(village, service="dvc_account"))
            items.append(entry(village, outcome="failed", reasons=["no_network"]))
            response = httpx.post(
                f"{server.url}/api/v1/sync/push",
                json=push_body(*items),
                headers={**HEADERS, **volunteer.auth},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            with world.factory() as session:
                set_quota(session, village, "vneid_level1", PERIOD, quota)
                session.commit()
        with world.factory() as session:
            for unit, quota in ((PROVINCE, 30), (COMMUNE_A, 25), (COMMUNE_B, 4)):
                set_quota(session, unit, "vneid_level1", PERIOD, quota)
            set_quota(session, PROVINCE, "dvc_account", PERIOD, 6)
            session.commit()
        yield Site(server.url, world)
    finally:
        server.stop()
        engine.dispose()


def _sign_in(page: Any, site: Site, login: str, lands: str | None) -> None:
    page.goto(site.url + "/")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if lands:
        page.wait_for_url(f"**{lands}")


def _shown(page: Any) -> dict[tuple[str, str, str], str]:
    found = page.eval_on_selector_all("[data-metric][data-unit][data-service]", FIGURES_JS)
    return {(u, s, m): v for u, s, m, v in found}


def _check_figures(page: Any, session: Session, code: str, units: set[str]) -> None:
    """Every tally row of the units the page shows is on it, value for value."""
    shown = _shown(page)
    rows = [r for r in read_tally(session, code, PERIOD) if r.unit_code in units]
    assert {r.unit_code for r in rows} == units
    for row in rows:
        key = (row.unit_code, row.service)
        assert shown[(*key, "achieved")] == str(row.achieved), key
        assert shown[(*key, "quota")] == ("" if row.quota is None else str(row.quota)), key
        percent = "" if row.percentage is None else f"{row.percentage:.1f}"
        assert shown[(*key, "percent")] == percent, key
        if row.unit_code == code:
            assert shown[(*key, "pending")] == str(row.pending), key
    assert not {u for u, _s, _m in shown} - units, "a figure of a unit the page does not show"


def _chart_names(page: Any) -> list[str]:
    charts = page.get_by_role("img")
    names = []
    for i in range(charts.count()):
        svg = charts.nth(i)
        if svg.evaluate("e => e.tagName.toLowerCase()") != "svg":
            continue
        names.append(
            svg.evaluate(
                "e => e.getAttribute('aria-labelledby').split(' ')"
                ".map(id => document.getElementById(id).textContent).join(' ')"
            )
        )
    return names


def test_province_officer_drills_down_and_every_figure_equals_the_tally(
    site: Site, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, site, "tinh", f"/units/{PROVINCE}")
    with site.world.factory() as session:
        _check_figures(page, session, PROVINCE, {PROVINCE, COMMUNE_A, COMMUNE_B})
        units = [session.get(Unit, c) for c in (PROVINCE, COMMUNE_A, COMMUNE_B)]
        helped = citizens_helped(session, [u for u in units if u is not None], PERIOD)
    shown = _shown(page)
    assert {c: shown[(c, "all", "citizens_helped")] for c in helped} == {
        c: str(n) for c, n in helped.items()
    }
    report = page.locator(".subnav").get_by_role("link", name="Báo cáo chiến dịch")
    assert report.get_attribute("href") == f"/reports/campaign?unit={PROVINCE}&period={PERIOD}"

    # Furthest behind first: commune A (8 of 25) before commune B (5 of 4).
    rows = page.eval_on_selector_all("table[data-table=communes] tbody tr",
                                     "rs => rs.map(r => r.dataset.unit)")  # fmt: skip
    assert rows == [COMMUNE_A, COMMUNE_B]

    # One click to the commune, one more to a village, and the crumbs lead back up.
    page.click(f"table[data-table=communes] a[href^='/units/{COMMUNE_A}']")
    page.wait_for_url(f"**/units/{COMMUNE_A}?period={PERIOD}")
    with site.world.factory() as session:
        _check_figures(page, session, COMMUNE_A, {COMMUNE_A, VILLAGE_A, VILLAGE_A2})
    page.click(f"table[data-table=villages] a[href^='/units/{VILLAGE_A}']")
    page.wait_for_url(f"**/units/{VILLAGE_A}?period={PERIOD}")
    with site.world.factory() as session:
        _check_figures(page, session, VILLAGE_A, {VILLAGE_A})
    crumbs = page.eval_on_selector_all(".crumbs a", "as => as.map(a => a.getAttribute('href'))")
    assert crumbs == [f"/units/{PROVINCE}", f"/units/{COMMUNE_A}"]
    page.click(".crumbs a >> nth=0")
    page.wait_for_url(f"**/units/{PROVINCE}")
    assert page.locator("p.as-of time").count() == 1


def test_charts_are_named_images_in_both_languages(site: Site, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, site, "tinh", f"/units/{PROVINCE}")
    vi = _chart_names(page)
    assert len(vi) == 3
    assert "so với chỉ tiêu" in vi[0] and "theo tuần" in vi[1] and "Xếp hạng xã" in vi[2]
    page.click("a[lang=en]")
    page.wait_for_selector("html[lang=en]")
    en = _chart_names(page)
    assert "against quota" in en[0] and "per week" in en[1] and "ranked" in en[2]
    page.emulate_media(media="print")
    boxes = page.eval_on_selector_all(
        "svg.chart", "ss => ss.map(s => s.getBoundingClientRect().width)"
    )
    assert len(boxes) == 3 and all(width > 200 for width in boxes)


def test_sort_links_work_with_javascript_off(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, site, "tinh", f"/units/{PROVINCE}")
    page.click(".sorts a[href*='sort=citizens']")
    page.wait_for_url("**sort=citizens**")
    rows = page.eval_on_selector_all("table[data-table=communes] tbody tr",
                                     "rs => rs.map(r => r.getAttribute('data-unit'))")  # fmt: skip
    assert rows == [COMMUNE_B, COMMUNE_A]  # fewest citizens helped first: 6, then 9
    context.close()


@pytest.mark.parametrize("login", ["dung", "ha"])
def test_a_coordinator_or_another_province_sees_no_figure(
    site: Site, browser: Any, login: str
) -> None:
    page = browser.new_page()
    _sign_in(page, site, login, None)
    page.wait_for_load_state()
    for path in (f"/units/{PROVINCE}", f"/units/{PROVINCE}.json"):
        response = page.goto(site.url + path)
        assert response is not None and response.status in (403, 404), path
        assert "data-value" not in page.content() and '"achieved"' not in page.content()


def test_screenshots_and_accessibility_in_both_languages(site: Site, browser: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=True)
        _sign_in(page, site, "tinh", f"/units/{PROVINCE}")
        for lang in ("vi", "en"):
            page.goto(f"{site.url}/lang?to={lang}&next=/units/{PROVINCE}")
            page.wait_for_selector(f"html[lang={lang}]")
            page.screenshot(path=str(SHOTS / f"province-{lang}-{width}.png"), full_page=True)
            assert overflow(page) <= 1, (width, lang)
            if width == 1366:
                assert scrolled_tables(page) == [], lang  # the commune table fits, no scrolling
            assert serious_violations(page) == [], (width, lang)
            headers = page.eval_on_selector_all(
                "table[data-table=communes] thead abbr[title]", "els => els.map(e => e.title)"
            )
            assert len(headers) >= 4, headers  # short names, the full one in the title
            response = page.goto(f"{site.url}/audit?unit={PROVINCE}")  # the province's audit log
            assert response is not None and response.status == 200
            page.screenshot(path=str(SHOTS / f"audit-{lang}-{width}.png"), full_page=True)
            assert page.locator("table[data-table=audit]").count() == 1
            assert overflow(page) <= 1 and serious_violations(page) == [], (width, lang)
        page.emulate_media(media="print")
        page.screenshot(path=str(SHOTS / f"province-print-{width}.png"), full_page=True)
        page.close()
