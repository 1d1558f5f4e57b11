# mypy: disable-error-code="import-not-found"
"""The coordinator's pages in real headless Chromium against a real server process.

Sign in, read the commune page's figures through data-* and compare them with the tally
service, review one entry with the keyboard and a ticked selection, upload a quota CSV with a
bad row, hand out an enrollment code and enroll a laptop with `fieldkit enroll`; screenshots of
every page in both languages at 1366×768 and 390×844 go to /tmp/shots/web-pages/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_factories import COMMUNE_A, HEADERS, VILLAGE_A, VILLAGE_A2, World, entry, push_body
from browser_helpers import harness, overflow, scrolled_tables, serious_violations, shots
from commune_world import PERIOD
from sqlalchemy import select

from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Entry, Quota, Service
from sync_server.services.init import migrate
from sync_server.services.quotas import set_quota
from sync_server.services.tally import read_tally

pytestmark = pytest.mark.slow

SHOTS = shots("web-pages")
PASSWORD = "mật khẩu 123"


class Site:
    """A real server process on a seeded SQLite file, and the World that filled it."""

    def __init__(self, url: str, world: World, db_url: str) -> None:
        self.url = url
        self.world = world
        self.db_url = db_url


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    migrate(db_url)
    engine = make_engine(db_url)
    world = World(make_sessionmaker(engine))
    world.units()
    world.staff("coordinator", COMMUNE_A, "Phạm Thị Dung", PASSWORD)
    server = harness().ServerProcess(db_url, tmp_path).start()
    try:
        for village, count, quota in ((VILLAGE_A, 6, 10), (VILLAGE_A2, 2, 8)):
            volunteer = world.volunteer(village, name=f"Tình nguyện viên {village}")
            items = [entry(village) for _ in range(count)]
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
            set_quota(session, COMMUNE_A, "vneid_level1", PERIOD, 30)
            session.commit()
        yield Site(server.url, world, db_url)
    finally:
        server.stop()
        engine.dispose()


def _fieldkit() -> list[str]:
    """The `fieldkit` console script beside this Python (or the module when not installed)."""
    script = Path(sys.executable).with_name("fieldkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fieldkit.cli"]


def _sign_in(page: Any, site: Site) -> None:
    page.goto(site.url + "/")
    page.fill("input[name=username]", "1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/units/{COMMUNE_A}")


def test_sign_in_figures_review_quotas_and_enroll(site: Site, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, site)

    shown = page.eval_on_selector_all(
        "[data-metric][data-unit][data-service]",
        "els => els.map(e => [e.dataset.unit, e.dataset.service, e.dataset.metric,"
        " e.dataset.value])",
    )
    values = {(u, s, m): v for u, s, m, v in shown}
    with site.world.factory() as session:
        rows = read_tally(session, COMMUNE_A, PERIOD)
    assert rows
    for row in rows:
        assert values[(row.unit_code, row.service, "achieved")] == str(row.achieved)
        quota = "" if row.quota is None else str(row.quota)
        assert values[(row.unit_code, row.service, "quota")] == quota
        percent = "" if row.percentage is None else f"{row.percentage:.1f}"
        assert values[(row.unit_code, row.service, "percent")] == percent

    # One entry with the keyboard: R, a reason, Enter.
    page.click("text=Duyệt mục")
    page.click("text=Duyệt từng mục")
    page.wait_for_selector("dl.entry")
    first = page.get_attribute("dl.entry", "data-entry-id")
    page.wait_for_load_state("load")  # the shortcuts listen from DOMContentLoaded on
    page.keyboard.press("r")
    page.wait_for_function("document.activeElement.name === 'reason'")  # else "a" would approve
    page.keyboard.type("Sai số định danh")
    page.keyboard.press("Enter")
    page.wait_for_selector("dl.entry")
    assert page.get_attribute("dl.entry", "data-entry-id") != first

    # Two ticked entries approved at once.
    page.goto(f"{site.url}/review?unit={COMMUNE_A}")
    ids = page.eval_on_selector_all("tr[data-entry-id]", "rows => rows.map(r => r.dataset.entryId)")
    ticked = ids[:2]
    for entry_id in ticked:
        page.check(f"#tick-{entry_id}")
    page.check("input[name=decision][value=approved]")
    page.click("button[value=ticked]")
    page.wait_for_selector(".notice.ok")
    with site.world.factory() as session:
        status = dict(session.execute(select(Entry.id, Entry.review_status)).all())
    assert status[first] == "rejected"
    assert [status[i] for i in ticked] == ["approved", "approved"]

    # A quota file with a bad row: every bad row named, nothing saved.
    page.click("text=Chỉ tiêu thôn")
    csv_path = tmp_path / "quotas.csv"
    csv_path.write_text(
        "unit_code,service,period,target\n"
        f"{VILLAGE_A},vneid_level1,{PERIOD},99\n"
        f"{VILLAGE_A2},vneid_level1,{PERIOD},-3\n",
        encoding="utf-8",
    )
    page.set_input_files("#q-file", str(csv_path))
    page.click("#import ~ form button[type=submit]")
    page.wait_for_selector(".row-errors li")
    assert page.get_attribute(".row-errors li", "data-row") == "3"
    with site.world.factory() as session:
        quota = session.get(Quota, (VILLAGE_A, "vneid_level1", PERIOD, "all"))
        assert quota is not None and quota.target == 10

    # A new volunteer's code enrolls a laptop with the real CLI.
    page.click("text=Tổ và máy tính")
    page.select_option("#v-village", VILLAGE_A2)
    page.fill("#v-name", "Lê Văn Cường")
    page.fill("#v-phone", "0912 345 678")
    page.check("input[name=youth_union]")
    page.click("text=Thêm và hiện mã đăng ký")
    code = page.text_content("code[data-code]")
    assert code
    home = tmp_path / "laptop-home"
    result = subprocess.run(
        [*_fieldkit(), "enroll", site.url, code.strip()],
        env=os.environ | {"FIELDKIT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    page.goto(f"{site.url}/teams?unit={COMMUNE_A}")
    row = page.locator("tr", has_text="Lê Văn Cường")
    assert row.locator("li[data-device-id]").count() == 1


PAGES = ("/units/{commune}", "/units/{village}", "/review?unit={commune}",
         "/quotas?unit={commune}", "/teams?unit={commune}", "/audit?unit={commune}")  # fmt: skip


def test_screenshots_and_accessibility_of_every_page_in_both_languages(
    site: Site, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=True)
        _sign_in(page, site)
        for lang in ("vi", "en"):
            page.goto(f"{site.url}/lang?to={lang}&next=/")
            for template in PAGES:
                path = template.format(commune=COMMUNE_A, village=VILLAGE_A)
                response = page.goto(site.url + path)
                assert response is not None and response.status == 200, path
                wide = page.evaluate(
                    "Array.from(document.querySelectorAll('main *')).filter(e =>"
                    " !e.closest('thead') &&"
                    " e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
                    ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
                )
                assert overflow(page) <= 1, (path, width, wide)
                if width == 1366 and path.startswith("/units/"):
                    assert scrolled_tables(page) == [], (path, lang)  # the figures fit the page
                assert serious_violations(page) == [], (path, width, lang)
                name = path.strip("/").replace("/", "_").replace("?unit=", "-")
                page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
        page.close()


# -- on a phone (390×844), both languages: nothing cut, notes in place -----------------------
# Found by walking through the pages with screenshots: a chosen filter ("Waiting for review")
# and the villages' order were cut inside their select boxes, and a queue card put a failure's
# reasons beside its outcome, squeezing the label to "Kết / quả".

PHONE = {"width": 390, "height": 844}

# The selected option's text against the room inside its select box (padding and arrow off).
_CUT_SELECTS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll("main select")].filter(s => {
    const style = getComputedStyle(s);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = s.options[s.selectedIndex]?.text ?? "";
    const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = s.clientWidth - pad - 20;
    return canvas.measureText(text).width > room;
  }).map(s => `${s.name}: ${s.options[s.selectedIndex]?.text}`);
}"""

# Each queue card's failure reasons (span.hint after a <br>) start below the outcome's line.
_REASONS_BESIDE_OUTCOME = """() => [...document.querySelectorAll("table.queue td")]
  .filter(td => td.querySelector("br + span.hint"))
  .filter(td => {
    const range = document.createRange();
    range.selectNodeContents(td.firstChild);
    const outcome = range.getBoundingClientRect();
    return td.querySelector("span.hint").getBoundingClientRect().top < outcome.bottom - 1;
  }).length"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_phone_pages_cut_no_chosen_option(site: Site, browser: Any, lang: str) -> None:
    page = browser.new_page(viewport=PHONE)
    _sign_in(page, site)
    page.goto(f"{site.url}/lang?to={lang}&next=/")
    for path in (f"/units/{COMMUNE_A}", f"/review?unit={COMMUNE_A}"):
        page.goto(site.url + path)
        assert page.evaluate(_CUT_SELECTS) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path


# Table cells (a card's label and value) that reach past the screen's right edge.
_CELLS_OFF_SCREEN = """() => [...document.querySelectorAll("main tbody td, main tbody th")]
  .filter(cell => cell.getBoundingClientRect().right > window.innerWidth + 1
    || cell.scrollWidth > cell.clientWidth + 1)
  .map(cell => cell.dataset.label || cell.textContent.trim().slice(0, 30))"""


def _quotas_for_every_service(site: Site) -> None:
    """A quota for each service of the catalogue in village A: one column (or label) each."""
    with site.world.factory() as session:
        for code in session.scalars(select(Service.code).where(Service.active.is_(True))):
            set_quota(session, VILLAGE_A, code, PERIOD, 5)
        session.commit()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_phone_tables_stay_on_screen(site: Site, browser: Any, lang: str) -> None:
    """A card's label may be a whole service name (village quotas): it wraps, never runs off."""
    _quotas_for_every_service(site)
    page = browser.new_page(viewport=PHONE)
    _sign_in(page, site)
    page.goto(f"{site.url}/lang?to={lang}&next=/")
    for path in (
        f"/units/{COMMUNE_A}",
        f"/units/{VILLAGE_A}",
        f"/quotas?unit={COMMUNE_A}",
        f"/teams?unit={COMMUNE_A}",
        f"/audit?unit={COMMUNE_A}",
        f"/review?unit={COMMUNE_A}",
    ):
        page.goto(site.url + path)
        assert page.evaluate(_CELLS_OFF_SCREEN) == [], path


def test_village_quotas_fit_a_laptop_screen(site: Site, browser: Any) -> None:
    """At 1366×768 every service's column shows, and village names are not squeezed."""
    _quotas_for_every_service(site)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, site)
    page.goto(f"{site.url}/quotas?unit={COMMUNE_A}")
    table = page.locator('table[data-table="village-quotas"]')
    wrap_width = table.evaluate("t => t.parentElement.clientWidth")
    assert table.evaluate("t => t.scrollWidth") <= wrap_width
    village = table.locator("tbody th").first
    assert village.evaluate("th => th.getBoundingClientRect().width") >= 140


def test_phone_queue_keeps_reasons_under_their_outcome(site: Site, browser: Any) -> None:
    page = browser.new_page(viewport=PHONE)
    _sign_in(page, site)
    page.goto(f"{site.url}/review?unit={COMMUNE_A}&status=all")
    assert page.locator("table.queue td span.hint").count() > 0
    assert page.evaluate(_REASONS_BESIDE_OUTCOME) == 0
