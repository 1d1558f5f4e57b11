"""The audit page and the review queue page through their lists with one pager macro."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_factories import COMMUNE_A, VILLAGE_A, World, entry
from commune_world import push
from fastapi.testclient import TestClient
from web_helpers import sign_in, staff

from sync_server.db.models import AuditLog

TEMPLATES = Path(__file__).parents[3] / "sync_server" / "web" / "templates"


def _pager(html: str) -> dict[str, str]:
    """rel -> href of the pager's links."""
    nav = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', html, re.S)
    assert nav is not None, "no pager"
    return dict((rel, href) for href, rel in re.findall(r'href="([^"]+)" rel="(\w+)"', nav[1]))


def test_the_pager_markup_lives_in_one_macro() -> None:
    holders = sorted(p.name for p in TEMPLATES.glob("*.html") if 'class="pager"' in p.read_text())
    assert holders == ["_pager.html"]


def test_the_audit_page_pages_through_its_rows(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    now = datetime.now(UTC)
    with world.factory() as session:
        session.add_all(
            AuditLog(at=now - timedelta(minutes=i), user_id=None, action="export.csv",
                     detail="", unit_code=COMMUNE_A)
            for i in range(130)
        )  # fmt: skip
        session.commit()
    first = client.get(f"/audit?unit={COMMUNE_A}")
    assert first.status_code == 200
    assert _pager(first.text) == {"next": f"/audit?unit={COMMUNE_A}&amp;page=2"}
    second = client.get(f"/audit?unit={COMMUNE_A}&page=2")
    assert second.status_code == 200
    assert _pager(second.text) == {"prev": f"/audit?unit={COMMUNE_A}&amp;page=1"}


def test_the_review_queue_pages_keep_the_filter(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    now = datetime.now(UTC)
    items = [entry(VILLAGE_A, assisted_at=(now - timedelta(minutes=i + 1)).isoformat())
             for i in range(55)]  # fmt: skip
    push(client, volunteer, items)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    first = client.get(f"/review?unit={COMMUNE_A}&village={VILLAGE_A}")
    assert first.status_code == 200
    assert len(re.findall(r"<tr data-entry-id=", first.text)) == 50
    links = _pager(first.text)
    assert list(links) == ["next"]
    assert f"village={VILLAGE_A}" in links["next"] and "page=2" in links["next"]
    second = client.get(links["next"].replace("&amp;", "&"))
    assert len(re.findall(r"<tr data-entry-id=", second.text)) == 5
    assert list(_pager(second.text)) == ["prev"]
