"""The sign-in round trip on PostgreSQL: sessions, expiry, CSRF, password change and access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_factories import COMMUNE_A, COMMUNE_B
from sqlalchemy import select, update
from web_helpers import AppFactory, csrf_of, set_cookie, sign_in, staff

from sync_server.db.models import WebSession
from sync_server.services.web_sessions import token_digest

pytestmark = pytest.mark.postgres

NEW = "mật khẩu mới trên postgres"


def test_sign_in_pages_and_sign_out_on_postgresql(make_web_pg: AppFactory) -> None:
    client, world = make_web_pg()
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    token, _ = set_cookie(sign_in(client, "duc"), "fk_session")
    assert client.get(f"/units/{COMMUNE_A}").status_code == 200
    assert client.get(f"/units/{COMMUNE_B}").status_code == 403
    assert client.get("/units/99999").status_code == 404
    page = client.get("/password")
    assert (
        client.post("/password", data={"current": "x", "new": NEW, "again": NEW}).status_code == 403
    )
    changed = client.post(
        "/password",
        data={
            "current": "mật khẩu 123",
            "new": NEW,
            "again": NEW,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert changed.status_code == 200
    with world.factory() as session:
        row = session.scalars(
            select(WebSession).where(WebSession.id_hash == token_digest(token))
        ).one()
        session.execute(
            update(WebSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=2))
        )
        session.commit()
    assert row.revoked_at is None
    assert client.get(f"/units/{COMMUNE_A}").status_code == 303  # idle for two hours
    client.cookies.clear()
    sign_in(client, "duc", NEW)
    page = client.get(f"/units/{COMMUNE_A}")
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    assert client.get(f"/units/{COMMUNE_A}").status_code == 303
