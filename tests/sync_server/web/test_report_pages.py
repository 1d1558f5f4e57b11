"""The campaign report page and its XLSX, and the province's commune quotas, over real HTTP."""

from __future__ import annotations

import io
import re

import pytest
from api_factories import COMMUNE_A, COMMUNE_B, PROVINCE, VILLAGE_A, World
from commune_world import PERIOD, campaign
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from web_helpers import csrf_of, figures, sign_in, staff, xlsx_matches_page

from sync_server.db.models import AuditLog, Quota, Unit
from sync_server.services.campaign import campaign_report
from sync_server.services.campaign_files import COLUMNS, HEADER_ROW, UNIT_COLUMNS
from sync_server.services.official import import_official
from sync_server.services.quotas import set_quota
from sync_server.web.cookies import LANG_COOKIE


@pytest.fixture
def province(client: TestClient, world: World) -> TestClient:
    """A province officer of 52, signed in, with commune A's and B's campaign pushed."""
    campaign(client, world)
    with world.factory() as session:
        set_quota(session, COMMUNE_A, "dvc_account", PERIOD, 4)
        set_quota(session, COMMUNE_A, "dvc_account", PERIOD, 2, "non_youth")
        session.commit()
    staff(world, "province", PROVINCE, "Lê Thị Tỉnh", login="tinh")
    sign_in(client, "tinh")
    return client


def _expected(world: World, unit: str) -> dict[tuple[str, str], str]:
    """What the report service says, in the page's data-value form."""
    with world.factory() as session:
        report = campaign_report(session, unit, PERIOD)
    found: dict[tuple[str, str], str] = {}
    for row in (*report.rows, report.total):
        for column in COLUMNS[UNIT_COLUMNS:]:
            value = column.figure(row)
            text = "" if value is None else f"{value:.1f}" if column.is_percent else str(value)
            found[(row.unit_code, column.metric)] = text
    return found


def test_the_province_report_shows_every_figure_of_every_commune(
    province: TestClient, world: World
) -> None:
    page = province.get(f"/reports/campaign?unit={PROVINCE}&period={PERIOD}")
    assert page.status_code == 200
    shown = figures(page.text)
    expected = _expected(world, PROVINCE)
    assert {k: shown[k] for k in expected} == expected
    assert shown[(COMMUNE_A, "accounts")] == "2"  # one dvc_account entry per village
    assert shown[(COMMUNE_A, "accounts_percent")] == "50.0"
    assert shown[(COMMUNE_A, "non_youth_percent")] == "100.0"  # born 1990: outside youth age
    assert shown[(PROVINCE, "accounts")] == "3"
    words = ("BÁO CÁO KẾT QUẢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", "Ngày lập", "Năm " + PERIOD,
             "Tài khoản DVC quốc gia", "Kích hoạt VNeID mức 2", "Tổng cộng (Gia Lai)")  # fmt: skip
    for text in words:
        assert text in page.text
    rows = re.findall(r'data-unit-row="([^"]+)"', page.text)
    assert rows == [COMMUNE_A, COMMUNE_B, PROVINCE]  # communes, then the totals row
    assert "<tfoot>" in page.text and "0912" not in page.text  # no personal data


def test_a_commune_report_lists_its_villages_and_defaults_to_this_period(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    page = client.get("/reports/campaign")  # own unit, current period
    assert page.status_code == 200
    assert re.findall(r'data-unit-row="([^"]+)"', page.text) == [VILLAGE_A, "21550-2", COMMUNE_A]
    assert f'data-period="{PERIOD}"' in page.text
    assert figures(page.text)[(VILLAGE_A, "vneid_level1")] == "5"


def test_the_xlsx_is_the_same_report_with_numbers_as_numbers(
    province: TestClient, world: World
) -> None:
    response = province.get(f"/reports/campaign.xlsx?unit={PROVINCE}&period={PERIOD}")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert f"bao-cao-chien-dich-{PROVINCE}-{PERIOD}.xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert headers[: len(COLUMNS)] == [c.header for c in COLUMNS]
    shown = figures(province.get(f"/reports/campaign?unit={PROVINCE}&period={PERIOD}").text)
    lines = list(sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 3, values_only=True))
    assert [line[0] for line in lines] == [COMMUNE_A, COMMUNE_B, PROVINCE]
    xlsx_matches_page(lines, shown)


def test_reading_and_downloading_the_report_are_audited(province: TestClient, world: World) -> None:
    assert province.get(f"/reports/campaign?unit={COMMUNE_A}").status_code == 200
    assert province.get(f"/reports/campaign.xlsx?unit={PROVINCE}").status_code == 200
    with world.factory() as session:
        rows = session.execute(select(AuditLog.action, AuditLog.unit_code, AuditLog.detail)).all()
    actions = {(a, u) for a, u, _d in rows}
    assert ("report.read", COMMUNE_A) in actions and ("report.export", PROVINCE) in actions
    audit = province.get(f"/audit?unit={COMMUNE_A}")
    assert "Xem báo cáo chiến dịch" in audit.text


def test_official_counts_stand_beside_ours_with_the_gap(province: TestClient, world: World) -> None:
    with world.factory() as session:
        errors = import_official(
            session,
            [
                {"unit_code": COMMUNE_A, "period": PERIOD, "figure": "accounts", "value": "7"},
                {"unit_code": PROVINCE, "period": PERIOD, "figure": "vneid_level1", "value": "9"},
            ],
        )
        assert errors == []
        session.commit()
    page = province.get(f"/reports/campaign?unit={PROVINCE}&period={PERIOD}")
    shown = figures(page.text)
    assert shown[(COMMUNE_A, "accounts_official")] == "7"
    assert shown[(COMMUNE_A, "accounts_gap")] == str(int(shown[(COMMUNE_A, "accounts")]) - 7)
    assert shown[(PROVINCE, "vneid_level1_gap")] == str(int(shown[(PROVINCE, "vneid_level1")]) - 9)
    assert (COMMUNE_B, "accounts_official") not in shown
    assert "chênh lệch" in page.text


def test_the_report_in_english(province: TestClient) -> None:
    province.cookies.set(LANG_COOKIE, "en")
    page = province.get(f"/reports/campaign?unit={PROVINCE}")
    assert "Report on the community digital-technology teams" in page.text
    assert "Portal accounts" in page.text and "Total (Gia Lai)" in page.text


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("unit=52&period=abcd", 400),
        ("unit=52&period=" + "9" * 30, 400),
        ("unit=52&period=%00", 400),
        ("unit=%3Cscript%3E", 404),
        ("unit=" + "1" * 500, 400),
        (f"unit={VILLAGE_A}", 404),
        ("unit=99999", 404),
        ("unit=52&unit=01", 404),  # the last one counts, and there is no 01 here
    ],
)
def test_hostile_queries_get_a_page_never_a_5xx(
    province: TestClient, query: str, status: int
) -> None:
    for path in ("/reports/campaign", "/reports/campaign.xlsx"):
        response = province.get(f"{path}?{query}")
        assert response.status_code == status, (path, query, response.text[:300])
        if status != 200:
            assert "data-value" not in response.text


def test_another_province_sees_nothing_and_a_coordinator_not_the_province(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    with world.factory() as session:
        session.add(Unit(code="01", name="Hà Nội", level="province", province_code="01"))
        session.commit()
    staff(world, "province", "01", "Q", login="other")
    staff(world, "coordinator", COMMUNE_B, "B", login="coord_b")
    for login, refused in (("other", (PROVINCE, COMMUNE_A)), ("coord_b", (PROVINCE, COMMUNE_A))):
        client.cookies.clear()
        sign_in(client, login)
        for code in refused:
            for path in (f"/reports/campaign?unit={code}", f"/reports/campaign.xlsx?unit={code}"):
                response = client.get(path)
                assert response.status_code == 403, (login, path)
                assert "data-value" not in response.text and "Xã An Nhơn" not in response.text
    assert client.get(f"/reports/campaign?unit={COMMUNE_B}").status_code == 200  # own commune


# Commune quotas set by the province


def test_the_province_sets_a_commune_quota_for_a_target_group(
    province: TestClient, world: World
) -> None:
    page = province.get(f"/quotas?unit={PROVINCE}&period={PERIOD}")
    assert page.status_code == 200 and "Chỉ tiêu xã" in page.text
    assert 'data-table="commune-quotas"' in page.text
    response = province.post(
        "/quotas/set",
        data={"csrf_token": csrf_of(page.text), "unit": PROVINCE, "unit_code": COMMUNE_B,
              "service": "dvc_account", "period": PERIOD, "target": "1.500",
              "group": "non_youth"},
    )  # fmt: skip
    assert response.status_code == 303
    with world.factory() as session:
        quota = session.get(Quota, (COMMUNE_B, "dvc_account", PERIOD, "non_youth"))
        assert quota is not None and quota.target == 1500
    shown = figures(province.get(f"/quotas?unit={PROVINCE}&period={PERIOD}").text)
    assert shown[(COMMUNE_B, "quota_non_youth")] == "1500"


def test_a_village_or_another_provinces_commune_is_refused_on_the_province_form(
    province: TestClient, world: World
) -> None:
    token = csrf_of(province.get(f"/quotas?unit={PROVINCE}").text)
    for code, group in ((VILLAGE_A, "all"), ("nowhere", "all"), (COMMUNE_A, "elders")):
        response = province.post(
            "/quotas/set",
            data={"csrf_token": token, "unit": PROVINCE, "unit_code": code,
                  "service": "dvc_account", "period": PERIOD, "target": "5", "group": group},
        )  # fmt: skip
        assert response.status_code == 400, code
    with world.factory() as session:
        assert session.get(Quota, (VILLAGE_A, "dvc_account", PERIOD, "all")) is None


def test_a_commune_quota_file_with_bad_rows_names_them_all_and_saves_nothing(
    province: TestClient, world: World
) -> None:
    token = csrf_of(province.get(f"/quotas?unit={PROVINCE}").text)
    csv = (
        "unit_code,service,period,target,group\n"
        f"{COMMUNE_A},dvc_account,{PERIOD},40,all\n"
        f"{COMMUNE_B},dvc_account,{PERIOD},-3,all\n"
        f"{VILLAGE_A},dvc_account,{PERIOD},5,\n"
        f"{COMMUNE_B},dvc_account,{PERIOD},5,elders\n"
        f"{COMMUNE_B},no_such_service,{PERIOD},5,youth\n"
    )
    response = province.post(
        "/quotas/import",
        data={"csrf_token": token, "unit": PROVINCE, "period": PERIOD},
        files={"file": ("quotas.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 400
    named = re.findall(r'<li data-row="(\d+)" data-field="([a-z_]+)"', response.text)
    assert named == [("3", "target"), ("4", "unit_code"), ("5", "group"), ("6", "service")]
    with world.factory() as session:
        assert session.get(Quota, (COMMUNE_A, "dvc_account", PERIOD, "all")).target == 4  # type: ignore[union-attr]
    good = f"unit_code,service,period,target,group\n{COMMUNE_B},dvc_account,{PERIOD},40,youth\n"
    response = province.post(
        "/quotas/import",
        data={"csrf_token": token, "unit": PROVINCE, "period": PERIOD},
        files={"file": ("quotas.csv", good.encode(), "text/csv")},
    )
    assert response.status_code == 303
    with world.factory() as session:
        assert session.get(Quota, (COMMUNE_B, "dvc_account", PERIOD, "youth")) is not None


def test_the_communes_sum_against_the_provinces_own_quota_warns_when_short(
    province: TestClient, world: World
) -> None:
    with world.factory() as session:
        set_quota(session, PROVINCE, "dvc_account", PERIOD, 10)
        set_quota(session, COMMUNE_B, "dvc_account", PERIOD, 3)
        set_quota(session, PROVINCE, "vneid_level1", PERIOD, 15)
        session.commit()
    page = province.get(f"/quotas?unit={PROVINCE}&period={PERIOD}")
    accounts = f'data-unit="{PROVINCE}" data-service="dvc_account" data-metric='
    assert accounts + '"quota" data-value="10"' in page.text
    assert accounts + '"commune_quota_sum" data-value="7"' in page.text  # 4 + 3
    assert "Còn thiếu 3" in page.text
    vneid = f'data-unit="{PROVINCE}" data-service="vneid_level1" data-metric='
    assert vneid + '"commune_quota_sum" data-value="20"' in page.text  # covered: 20 ≥ 15
    assert "Tổng chỉ tiêu các xã thấp hơn chỉ tiêu của tỉnh ở 1 chỉ tiêu." in page.text


def test_a_coordinator_cannot_set_commune_quotas(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "A", login="coord_a")
    sign_in(client, "coord_a")
    assert client.get(f"/quotas?unit={PROVINCE}").status_code == 403
    token = csrf_of(client.get(f"/quotas?unit={COMMUNE_A}").text)
    response = client.post(
        "/quotas/set",
        data={"csrf_token": token, "unit": PROVINCE, "unit_code": COMMUNE_A,
              "service": "dvc_account", "period": PERIOD, "target": "5"},
    )  # fmt: skip
    assert response.status_code == 403
    with world.factory() as session:
        assert session.get(Quota, (COMMUNE_A, "dvc_account", PERIOD, "all")) is None


def test_a_village_row_shows_no_commune_counts_on_the_page_or_in_the_xlsx(
    client: TestClient, world: World
) -> None:
    """A village has no communes: "—" on the page, an empty cell in the file; the commune's
    own row still counts itself (1 commune, with a team)."""
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    page = client.get(f"/reports/campaign?unit={COMMUNE_A}&period={PERIOD}")
    shown = figures(page.text)
    for metric in ("communes_with_team", "communes"):
        assert shown[(VILLAGE_A, metric)] == "", metric
        assert shown[(COMMUNE_A, metric)] == "1", metric
    cell = re.search(
        rf'data-unit="{VILLAGE_A}" data-service="" data-metric="communes"[^>]*>([^<]*)<', page.text
    )
    assert cell is not None and cell.group(1) == "—"
    assert shown[(VILLAGE_A, "villages_with_team")] == "1"  # a village's own team still counts
    response = client.get(f"/reports/campaign.xlsx?unit={COMMUNE_A}&period={PERIOD}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    headers = [c.value for c in sheet[HEADER_ROW]]
    lines = {
        line[0]: dict(zip(headers, line, strict=False))
        for line in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
        if line[0]
    }
    assert lines[VILLAGE_A]["Xã có tổ CNSCĐ"] is None and lines[VILLAGE_A]["Tổng số xã"] is None
    assert lines[COMMUNE_A]["Tổng số xã"] == 1


def test_a_province_officer_reads_the_audit_log_of_the_whole_province(
    province: TestClient, world: World
) -> None:
    """The province's own records (its report) and its communes' and villages' records."""
    assert province.get(f"/reports/campaign.xlsx?unit={PROVINCE}").status_code == 200
    assert province.get(f"/reports/campaign?unit={COMMUNE_B}").status_code == 200
    with world.factory() as session:
        session.add(AuditLog(action="entries.read", unit_code=VILLAGE_A, detail="village A"))
        session.add(AuditLog(action="entries.read", unit_code="01", detail="another province"))
        session.commit()
    page = province.get(f"/audit?unit={PROVINCE}")
    assert page.status_code == 200
    actions = re.findall(r'<tr data-action="([^"]+)"', page.text)
    assert sorted(actions) == ["entries.read", "report.export", "report.read"]
    assert "village A" in page.text and "another province" not in page.text
    assert f"/audit?unit={PROVINCE}" in page.text  # the province's pages link to it
    assert "/exports/entries.csv" not in page.text  # exports are a commune's
    own = province.get("/audit")  # one's own unit by default
    assert own.status_code == 200 and re.findall(r'data-action="([^"]+)"', own.text) == actions
    for link in re.findall(r'<nav class="subnav"[^>]*>(.*?)</nav>', page.text, re.S)[0].split('"'):
        if link.startswith("/"):
            assert province.get(link.replace("&amp;", "&")).status_code == 200, link


def test_a_coordinator_or_another_province_cannot_read_a_province_audit_log(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    with world.factory() as session:
        session.add(Unit(code="01", name="Hà Nội", level="province", province_code="01"))
        session.commit()
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    staff(world, "province", "01", "Nguyễn Văn Hà", login="hanoi")
    for login in ("dung", "hanoi"):
        sign_in(client, login)
        for path in (f"/audit?unit={PROVINCE}", f"/audit?unit={COMMUNE_A}" if login == "hanoi"
                     else f"/audit?unit={COMMUNE_B}"):  # fmt: skip
            response = client.get(path)
            assert response.status_code == 403, (login, path)
            assert "data-action" not in response.text
        client.cookies.clear()
    assert client.get(f"/audit?unit={VILLAGE_A}").status_code == 303  # signed out
