"""The commune and village pages: every figure equals the tally service, laptops' freshness."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from api_factories import COMMUNE_A, COMMUNE_B, VILLAGE_A, VILLAGE_A2, World
from commune_world import PERIOD, campaign
from fastapi.testclient import TestClient
from sqlalchemy import update
from web_helpers import sign_in, staff

from sync_server.db.models import Device
from sync_server.services.laptops import STALE_AFTER
from sync_server.services.tally import read_tally

METRIC_OF = {"percent": "percentage"}


class Figures(HTMLParser):
    """Every element with data-metric on a page: (unit, service, metric) → data-value."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str, str], str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-metric" in found and "data-volunteer" not in found:
            key = (
                found["data-unit"] or "",
                found["data-service"] or "",
                found["data-metric"] or "",
            )
            self.values[key] = found.get("data-value") or ""


def figures(html: str) -> dict[tuple[str, str, str], str]:
    parser = Figures()
    parser.feed(html)
    return parser.values


def tally_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def test_commune_page_figures_equal_the_tally_and_villages_come_furthest_behind_first(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    page = client.get(f"/units/{COMMUNE_A}?period={PERIOD}")
    assert page.status_code == 200
    shown = figures(page.text)
    with world.factory() as session:
        rows = read_tally(session, COMMUNE_A, PERIOD)
    assert rows
    for row in rows:
        for metric in ("achieved", "quota", "percent", "pending", "approved", "rejected"):
            if row.unit_code != COMMUNE_A and metric in ("pending", "approved", "rejected"):
                continue  # village rows show achieved / quota / percent
            expected = tally_value(getattr(row, METRIC_OF.get(metric, metric)))
            assert shown[(row.unit_code, row.service, metric)] == expected, (row, metric)
    assert shown[(VILLAGE_A, "vneid_level1", "percent")] == "50.0"  # 5 of 10
    assert shown[(VILLAGE_A2, "vneid_level1", "percent")] == "33.3"  # 1 of 3
    assert not any(unit.startswith(COMMUNE_B) for unit, _s, _m in shown)
    order = re.findall(r'<tr data-unit="([^"]+)">', page.text)
    assert order == [VILLAGE_A2, VILLAGE_A]
    by_name = client.get(f"/units/{COMMUNE_A}?period={PERIOD}&sort=name")
    assert re.findall(r'<tr data-unit="([^"]+)">', by_name.text) == [VILLAGE_A, VILLAGE_A2]
    twin = client.get(f"/units/{COMMUNE_A}.json?period={PERIOD}").json()
    assert {v["code"] for v in twin["villages"]} == {VILLAGE_A, VILLAGE_A2}
    assert "10 mục đang chờ duyệt" in page.text  # 6 + 4 entries of commune A, all pending


def test_village_page_lists_its_volunteers_counts(client: TestClient, world: World) -> None:
    made = campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    page = client.get(f"/units/{VILLAGE_A}?period={PERIOD}")
    assert page.status_code == 200
    volunteer = made.volunteers[VILLAGE_A].user_id
    counted = re.search(
        rf'data-volunteer="{volunteer}" data-metric="achieved" data-value="(\d+)"', page.text
    )
    entries = re.search(
        rf'data-volunteer="{volunteer}" data-metric="entries" data-value="(\d+)"', page.text
    )
    assert counted is not None and entries is not None
    with world.factory() as session:
        achieved = sum(r.achieved for r in read_tally(session, VILLAGE_A, PERIOD, subtree=False))
    assert int(counted.group(1)) == achieved == 6  # 5 VNeID + 1 portal account
    assert int(entries.group(1)) == 7
    shown = figures(page.text)
    assert shown[(VILLAGE_A, "vneid_level1", "achieved")] == "5"


def test_laptops_silent_for_three_days_are_called_out(client: TestClient, world: World) -> None:
    made = campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    quiet = made.volunteers[VILLAGE_A2].device_id
    with world.factory() as session:
        session.execute(
            update(Device)
            .where(Device.id == quiet)
            .values(last_sync_at=datetime.now(UTC) - STALE_AFTER - timedelta(minutes=5))
        )
        session.commit()
    page = client.get(f"/units/{COMMUNE_A}")
    stale = re.findall(r'<tr data-device-id="([^"]+)" class="stale">', page.text)
    assert stale == [quiet]
    assert "1 máy tính chưa đồng bộ từ 3 ngày trở lên" in page.text
    fresh = made.volunteers[VILLAGE_A].device_id
    assert f'<tr data-device-id="{fresh}">' in page.text
