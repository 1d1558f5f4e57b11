"""The coordinator's pages on PostgreSQL: figures equal the tally, a bulk review, a quota file,
a code handed out, the audit."""

from __future__ import annotations

import re

import pytest
from api_factories import COMMUNE_A, VILLAGE_A, VILLAGE_A2
from commune_world import PERIOD, campaign
from sqlalchemy import select
from web_helpers import AppFactory, csrf_of, sign_in, staff

from sync_server.db.models import Entry, Quota
from sync_server.services.tally import read_tally

pytestmark = pytest.mark.postgres


def test_the_commune_pages_on_postgresql(make_web_pg: AppFactory) -> None:
    client, world = make_web_pg()
    made = campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    page = client.get(f"/units/{COMMUNE_A}?period={PERIOD}")
    assert page.status_code == 200
    with world.factory() as session:
        rows = read_tally(session, COMMUNE_A, PERIOD)
    for row in rows:
        assert (
            f'data-unit="{row.unit_code}" data-service="{row.service}" data-metric="achieved"'
            f' data-value="{row.achieved}"'
        ) in page.text
    assert client.get(f"/units/{VILLAGE_A}?period={PERIOD}").status_code == 200

    queue = client.get(f"/review?unit={COMMUNE_A}&village={VILLAGE_A2}")
    assert queue.status_code == 200
    ids = re.findall(r'<tr data-entry-id="([^"]+)">', queue.text)
    assert set(ids) == set(made.entry_ids[VILLAGE_A2])
    token = csrf_of(queue.text)
    decided = client.post(
        "/review/decide",
        data={"csrf_token": token, "unit": COMMUNE_A, "scope": "ticked", "entry_id": ids,
              "decision": "rejected", "reason": "Sai số định danh"},
    )  # fmt: skip
    assert decided.status_code == 303
    with world.factory() as session:
        states = set(session.scalars(select(Entry.review_status).where(Entry.id.in_(ids))))
    assert states == {"rejected"}

    bad = f"unit_code,service,period,target\n{VILLAGE_A},vneid_level1,{PERIOD},x\n"
    refused = client.post(
        "/quotas/import",
        data={"csrf_token": token, "unit": COMMUNE_A, "period": PERIOD},
        files={"file": ("q.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 400
    with world.factory() as session:
        quota = session.get(Quota, (VILLAGE_A, "vneid_level1", PERIOD, "all"))
        assert quota is not None and quota.target == 10

    added = client.post(
        "/teams/volunteers",
        data={"csrf_token": token, "unit": COMMUNE_A, "village": VILLAGE_A, "name": "Lê Văn C"},
    )
    assert added.status_code == 200 and "data-code" in added.text
    for path in ("/teams", "/quotas", "/audit", "/exports/entries.csv"):
        assert client.get(f"{path}?unit={COMMUNE_A}").status_code == 200, path
    audit = client.get(f"/audit?unit={COMMUNE_A}")
    assert 'data-action="review"' in audit.text and 'data-action="export"' in audit.text
