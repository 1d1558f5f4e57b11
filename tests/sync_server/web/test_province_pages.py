"""The province page: the province and its communes against quota, charts, sort links, the
JSON twin and the "figures as of" line — every figure equal to the tally service's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from api_factories import COMMUNE_A, COMMUNE_B, PROVINCE, VILLAGE_A, World
from commune_world import PERIOD, Campaign, campaign
from fastapi.testclient import TestClient
from sqlalchemy import update
from web_helpers import AppFactory, sign_in, staff

from fieldkit.domain.formatting import format_datetime
from sync_server.db.models import Device, Unit
from sync_server.services.citizens import citizens_helped
from sync_server.services.quotas import set_quota
from sync_server.services.tally import read_tally
from sync_server.web.cookies import LANG_COOKIE

FIGURE = re.compile(
    r'<data [^>]*data-unit="([^"]*)" data-service="([^"]*)" data-metric="([^"]*)" '
    r'data-value="([^"]*)"'
)
CHART = re.compile(r'<svg class="chart chart-(\w+)" role="img"[^>]*aria-labelledby="([^" ]+) ')


def figures(html: str) -> dict[tuple[str, str, str], str]:
    """Every figure's raw value by (unit, service, metric)."""
    return {(u, s, m): v for u, s, m, v in FIGURE.findall(html)}


@pytest.fixture
def made(client: TestClient, world: World) -> Campaign:
    done = campaign(client, world)
    with world.factory() as session:
        set_quota(session, PROVINCE, "vneid_level1", PERIOD, 40)
        set_quota(session, COMMUNE_B, "vneid_level1", PERIOD, 2)
        session.commit()
    staff(world, "province", PROVINCE, "Lê Văn Tỉnh", login="tinh")
    return done


@pytest.fixture
def officer(client: TestClient, made: Campaign) -> TestClient:
    response = sign_in(client, "tinh")
    assert response.status_code == 303
    return client


def test_province_officer_lands_on_the_province_page(officer: TestClient) -> None:
    landing = officer.get("/")
    assert landing.status_code == 303 and landing.headers["location"] == f"/units/{PROVINCE}"
    page = officer.get(f"/units/{PROVINCE}")
    assert page.status_code == 200
    assert 'data-table="communes"' in page.text
    assert "/reports/campaign?unit=52&amp;period=" + PERIOD in page.text


def test_every_figure_equals_the_tally_service(officer: TestClient, world: World) -> None:
    shown = figures(officer.get(f"/units/{PROVINCE}?period={PERIOD}").text)
    with world.factory() as session:
        rows = [
            r
            for r in read_tally(session, PROVINCE, PERIOD)
            if r.unit_code in (PROVINCE, COMMUNE_A, COMMUNE_B)
        ]
        units = [session.get(Unit, code) for code in (PROVINCE, COMMUNE_A, COMMUNE_B)]
        helped = citizens_helped(session, [u for u in units if u is not None], PERIOD)
    assert {r.unit_code for r in rows} == {PROVINCE, COMMUNE_A, COMMUNE_B}
    pending: dict[str, int] = {}
    for row in rows:
        key = (row.unit_code, row.service)
        assert shown[(*key, "achieved")] == str(row.achieved)
        assert shown[(*key, "quota")] == ("" if row.quota is None else str(row.quota))
        percent = "" if row.percentage is None else f"{row.percentage:.1f}"
        assert shown[(*key, "percent")] == percent
        if row.unit_code == PROVINCE:
            assert shown[(*key, "pending")] == str(row.pending)
        pending[row.unit_code] = pending.get(row.unit_code, 0) + row.pending
    for code, count in pending.items():
        assert shown[(code, "all", "pending")] == str(count)
    for code, count in helped.items():
        assert count > 0
        assert shown[(code, "all", "citizens_helped")] == str(count)
    # The villages are not on the province page: one click on a commune leads to them.
    assert not any(unit == VILLAGE_A for unit, _s, _m in shown)


def test_communes_furthest_behind_first_and_sorted_by_plain_links(officer: TestClient) -> None:
    def order(query: str) -> list[str]:
        response = officer.get(f"/units/{PROVINCE}?period={PERIOD}{query}")
        assert response.status_code == 200, (query, response.status_code)
        html = response.text
        table = html[html.index('data-table="communes"') :]
        return re.findall(r'<tr data-unit="([^"]+)">', table)

    # Commune A: 6 of 20 (30 %); commune B: 4 of 2 (200 %).
    assert order("") == [COMMUNE_A, COMMUNE_B]
    assert order("&sort=vneid_level1") == [COMMUNE_A, COMMUNE_B]
    assert order("&sort=vneid_level1&period=" + PERIOD) == [COMMUNE_A, COMMUNE_B]
    assert order("&sort=name") == [COMMUNE_A, COMMUNE_B]  # Xã An Nhơn, Xã Tây Sơn
    assert order("&sort=citizens") == [COMMUNE_B, COMMUNE_A]  # 5 people, then 8
    assert order("&sort=waiting") == [COMMUNE_A, COMMUNE_B]
    for hostile in ("zzz", "x" * 40, "%3Cscript%3E", "name%27--", "citizens%20"):
        assert order(f"&sort={hostile}") == [COMMUNE_A, COMMUNE_B]


def test_hostile_query_parameters_get_a_4xx_or_the_default(officer: TestClient) -> None:
    for query in ("period=abcd", "period=" + "9" * 30, "period=%00", "period=-2026",
                  "sort=" + "x" * 100, "sort=%00", "sort=%F0%9F%92%A9", "period=2026&sort=",
                  "period=0001", "period=9999"):  # fmt: skip
        for path in (f"/units/{PROVINCE}", f"/units/{PROVINCE}.json"):
            response = officer.get(f"{path}?{query}")
            assert response.status_code in (200, 400, 422), (query, response.status_code)
            assert "Traceback" not in response.text


def test_charts_have_an_accessible_name_in_both_languages(officer: TestClient) -> None:
    for lang, words in (("vi", ("so với chỉ tiêu", "theo tuần", "Xếp hạng xã")),
                        ("en", ("against quota", "per week", "ranked"))):  # fmt: skip
        officer.cookies.set(LANG_COOKIE, lang)
        html = officer.get(f"/units/{PROVINCE}?period={PERIOD}").text
        found = CHART.findall(html)
        assert [kind for kind, _id in found] == ["progress", "lines", "ranked"]
        for (_kind, title_id), word in zip(found, words, strict=True):
            title = re.search(rf'<title id="{title_id}">([^<]+)</title>', html)
            assert title is not None and word in title.group(1), (lang, word)
        assert f'<html lang="{lang}"' in html


def test_the_weekly_chart_adds_up_to_achieved(officer: TestClient, world: World) -> None:
    html = officer.get(f"/units/{PROVINCE}?period={PERIOD}").text
    start = html.index('data-table="weeks"')
    table = html[start : html.index("</table>", start)]
    with world.factory() as session:
        achieved = sum(r.achieved for r in read_tally(session, PROVINCE, PERIOD, subtree=False))
    cells = re.findall(r'<td class="num"[^>]*>([\d.]+)</td>', table)
    assert achieved > 0 and sum(int(c.replace(".", "")) for c in cells) == achieved


def test_json_twin_gives_the_communes(officer: TestClient, world: World) -> None:
    body = officer.get(f"/units/{PROVINCE}.json?period={PERIOD}").json()
    assert body["unit"]["level"] == "province"
    communes = {c["code"]: c for c in body["communes"]}
    assert list(communes) == [COMMUNE_A, COMMUNE_B]
    with world.factory() as session:
        for row in read_tally(session, PROVINCE, PERIOD):
            if row.unit_code in communes:
                got = communes[row.unit_code]["services"][row.service]
                assert (got["achieved"], got["quota"], got["percent"]) == (
                    row.achieved, row.quota, row.percentage,
                )  # fmt: skip
    assert communes[COMMUNE_A]["laptops"] == 2 and communes[COMMUNE_A]["laptops_synced_24h"] == 2


def test_figures_as_of_the_last_sync_on_every_page(
    officer: TestClient, world: World, made: Campaign
) -> None:
    synced = datetime(2026, 3, 9, 2, 5, tzinfo=UTC)  # 09:05 in Vietnam
    later = synced + timedelta(hours=5)
    with world.factory() as session:
        session.execute(update(Device).values(last_sync_at=synced))
        session.execute(
            update(Device)
            .where(Device.id == made.volunteers["21553-1"].device_id)
            .values(last_sync_at=later)
        )
        session.commit()
    expect = {
        f"/units/{PROVINCE}": format_datetime(later),
        f"/units/{COMMUNE_A}": format_datetime(synced),
        f"/units/{VILLAGE_A}": format_datetime(synced),
        f"/units/{COMMUNE_B}": format_datetime(later),
        f"/review?unit={COMMUNE_A}": format_datetime(synced),
    }
    assert format_datetime(synced) == "09/03/2026 09:05"
    for path, moment in expect.items():
        html = officer.get(path).text
        line = re.search(r'<p class="as-of">(.*?)</p>', html, re.S)
        assert line is not None, path
        assert moment in line.group(1) and "Số liệu tính đến" in line.group(1), path
    body = officer.get(f"/units/{PROVINCE}.json").json()
    assert body["figures_as_of"] == later.isoformat()


@pytest.mark.postgres
def test_the_province_page_on_postgresql(make_web_pg: AppFactory) -> None:
    client, world = make_web_pg()
    campaign(client, world)
    staff(world, "province", PROVINCE, "Lê Văn Tỉnh", login="tinh")
    sign_in(client, "tinh")
    page = client.get(f"/units/{PROVINCE}?period={PERIOD}")
    assert page.status_code == 200
    shown = figures(page.text)
    with world.factory() as session:
        rows = read_tally(session, PROVINCE, PERIOD, children=True)
    assert {r.unit_code for r in rows} == {PROVINCE, COMMUNE_A, COMMUNE_B}
    for row in rows:
        assert shown[(row.unit_code, row.service, "achieved")] == str(row.achieved)
    assert len(CHART.findall(page.text)) == 3
    stamp = r'<p class="as-of">[^<]*<time datetime="[^"]+">\d\d/\d\d/\d{4} \d\d:\d\d<'
    assert re.search(stamp, page.text)
    body = client.get(f"/units/{PROVINCE}.json?period={PERIOD}").json()
    assert [c["code"] for c in body["communes"]] == [COMMUNE_A, COMMUNE_B]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_columns_and_chart_labels_use_short_service_names(officer: TestClient, lang: str) -> None:
    """The commune table's service columns and the charts' labels have little room: the laptop
    app's short name, the full one in the header's title."""
    officer.cookies.set(LANG_COOKIE, lang)
    page = officer.get(f"/units/{PROVINCE}").text
    table = page.split('data-table="communes"', 1)[1].split("</thead>", 1)[0]
    full, short = ("Cài đặt VNeID và đăng ký tài khoản định danh mức 1", "VNeID mức 1")
    if lang == "en":
        full, short = ("Install VNeID and register a level-1 identity account", "VNeID level 1")
    assert f'<abbr title="{full}">{short}</abbr>' in table
    assert full + "<" not in table  # not spelled out in the cramped header
    charts = "".join(re.findall(r"<svg class=\"chart chart-progress\".*?</svg>", page, re.S))
    assert f">{short}</text>" in charts and full[:20] not in charts
    commune = officer.get(f"/units/{COMMUNE_A}").text
    villages = commune.split('data-table="villages"', 1)[1].split("</thead>", 1)[0]
    assert f'<abbr title="{full}">{short}</abbr>' in villages
