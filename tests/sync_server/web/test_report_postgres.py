"""The campaign report and the province's commune quotas on PostgreSQL."""

from __future__ import annotations

import io

import pytest
from api_factories import COMMUNE_A, COMMUNE_B, PROVINCE
from commune_world import PERIOD, campaign
from openpyxl import load_workbook
from web_helpers import AppFactory, csrf_of, figures, sign_in, staff, xlsx_matches_page

from sync_server.db.models import Quota
from sync_server.services.campaign import campaign_report
from sync_server.services.campaign_files import HEADER_ROW

pytestmark = pytest.mark.postgres


def test_the_report_and_commune_quotas_on_postgresql(make_web_pg: AppFactory) -> None:
    client, world = make_web_pg()
    campaign(client, world)
    staff(world, "province", PROVINCE, "Lê Thị Tỉnh", login="tinh")
    sign_in(client, "tinh")
    page = client.get(f"/reports/campaign?unit={PROVINCE}&period={PERIOD}")
    assert page.status_code == 200
    for hostile in ("%00", "52%00", "%C3%28", "' OR 1=1 --", "%F0%9F%98%80"):
        for path in ("/reports/campaign", "/reports/campaign.xlsx", "/quotas"):
            response = client.get(f"{path}?unit={hostile}&period={PERIOD}")
            assert 400 <= response.status_code < 500, (path, hostile, response.status_code)
    shown = figures(page.text)
    with world.factory() as session:
        report = campaign_report(session, PROVINCE, PERIOD)
    for row in (*report.rows, report.total):
        assert shown[(row.unit_code, "vneid_level1")] == str(row.vneid_level1)
        assert shown[(row.unit_code, "citizens_helped")] == str(row.citizens_helped)
        assert shown[(row.unit_code, "members")] == str(row.members)
    download = client.get(f"/reports/campaign.xlsx?unit={PROVINCE}&period={PERIOD}")
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert sheet is not None
    lines = list(sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 3, values_only=True))
    assert [line[0] for line in lines] == [COMMUNE_A, COMMUNE_B, PROVINCE]
    xlsx_matches_page(lines, shown)

    token = csrf_of(client.get(f"/quotas?unit={PROVINCE}").text)
    bad = (
        "unit_code,service,period,target,group\n"
        f"{COMMUNE_A},dvc_account,{PERIOD},10,non_youth\n"
        f"{COMMUNE_B},dvc_account,{PERIOD},x,all\n"
    )
    refused = client.post(
        "/quotas/import",
        data={"csrf_token": token, "unit": PROVINCE, "period": PERIOD},
        files={"file": ("q.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 400 and 'data-row="3"' in refused.text
    with world.factory() as session:
        assert session.get(Quota, (COMMUNE_A, "dvc_account", PERIOD, "non_youth")) is None
