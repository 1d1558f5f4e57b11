"""Every coordinator page × every role × every unit kind: exactly the expected status, no
figure of a unit outside the caller's scope; and hostile input never a 5xx, never a change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from api_factories import COMMUNE_A, COMMUNE_B, PROVINCE, VILLAGE_A, World
from commune_world import campaign
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import AppFactory, csrf_of, sign_in, staff

from sync_server.db.models import Quota, Unit, User
from sync_server.services import web_sessions
from sync_server.web.cookies import SESSION_COOKIE

OTHER_PROVINCE = "01"
ROLES = ("none", "volunteer", "coord_a", "coord_b", "province", "other_province", "admin")
COMMUNE_PAGES = ("/review?unit={u}", "/review/next?unit={u}", "/quotas?unit={u}",
                 "/teams?unit={u}", "/audit?unit={u}", "/exports/entries.csv?unit={u}",
                 "/exports/entries.xlsx?unit={u}")  # fmt: skip
REPORT_PAGES = ("/reports/campaign?unit={u}", "/reports/campaign.xlsx?unit={u}")
"""The campaign report: a province's or a commune's, for whoever may read that unit."""
PROVINCE_PAGES = ("/quotas?unit={u}", "/audit?unit={u}", *REPORT_PAGES)
"""Commune pages that also take a province (its communes' quotas, its audit log, its report)."""
IN_SCOPE = {"coord_a", "province", "admin"}


def _expected(role: str, kind: str, path: str) -> int:
    if role in ("none", "volunteer"):
        return 303 if role == "none" else 403
    unit_page = path.startswith("/units/")
    takes_province = any(path.startswith(p.split("{")[0]) for p in PROVINCE_PAGES)
    if kind == "province":
        if unit_page or takes_province:
            return 200 if role in ("province", "admin") else 403
        return 404 if role in ("province", "admin") else 403
    if role not in IN_SCOPE:
        return 403
    if kind == "village" and not unit_page:
        return 404  # the commune's pages and the report want a commune (or a province)
    if path.startswith("/review/next"):
        return 303
    return 200


def _client_as(make_web: AppFactory, world: World, role: str, users: dict[str, int]) -> TestClient:
    client, _ = make_web()
    if role == "none":
        return client
    if role == "volunteer":
        with world.factory() as session:
            user = session.get(User, users["volunteer"])
            assert user is not None
            limits = web_sessions.SessionLimits(
                idle=timedelta(hours=1), absolute=timedelta(hours=8)
            )
            opened = web_sessions.open_session(session, user, limits)
            session.commit()
        client.cookies.set(SESSION_COOKIE, opened.token)
        return client
    sign_in(client, role)
    return client


@pytest.fixture
def matrix_world(make_web: AppFactory) -> tuple[World, dict[str, int]]:
    client, world = make_web()
    made = campaign(client, world)
    with world.factory() as session:
        session.add(Unit(code=OTHER_PROVINCE, name="Hà Nội", level="province",
                         province_code=OTHER_PROVINCE))  # fmt: skip
        session.commit()
    users = {
        "coord_a": staff(world, "coordinator", COMMUNE_A, "A", login="coord_a"),
        "coord_b": staff(world, "coordinator", COMMUNE_B, "B", login="coord_b"),
        "province": staff(world, "province", PROVINCE, "P", login="province"),
        "other_province": staff(world, "province", OTHER_PROVINCE, "Q", login="other_province"),
        "admin": staff(world, "admin", None, "Admin", login="admin"),
        "volunteer": made.volunteers[VILLAGE_A].user_id,
    }
    return world, users


@pytest.mark.parametrize("role", ROLES)
def test_every_page_every_role_every_unit_kind(
    role: str, make_web: AppFactory, matrix_world: tuple[World, dict[str, int]]
) -> None:
    world, users = matrix_world
    client = _client_as(make_web, world, role, users)
    units = {"commune": COMMUNE_A, "village": VILLAGE_A, "province": PROVINCE}
    for kind, code in units.items():
        for template in ("/units/{u}", "/units/{u}.json", *COMMUNE_PAGES, *REPORT_PAGES):
            path = template.format(u=code)
            response = client.get(path)
            expected = _expected(role, kind, path)
            assert response.status_code == expected, (role, path, response.status_code)
            if response.status_code != 200:
                assert "data-value" not in response.text, (role, path)
                assert '"achieved"' not in response.text, (role, path)
            elif kind == "province" and path == f"/units/{code}":  # the province page
                assert f'data-unit="{COMMUNE_A}" data-service="vneid_level1"' in response.text
            if role in ("coord_b", "other_province") and response.status_code == 200:
                assert f'data-unit="{COMMUNE_A}' not in response.text


@pytest.fixture
def signed_in(client: TestClient, world: World) -> TestClient:
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    return client


HOSTILE_GETS = [
    f"/units/{COMMUNE_A}?period=abcd",
    f"/units/{COMMUNE_A}?period=" + "9" * 30,
    f"/units/{COMMUNE_A}?sort=" + "x" * 100,
    f"/units/{COMMUNE_A}?sort=%00",
    "/review?unit=%3Cscript%3E",
    "/review?unit=" + "1" * 500,
    f"/review?unit={COMMUNE_A}&page=abc",
    f"/review?unit={COMMUNE_A}&page=0",
    f"/review?unit={COMMUNE_A}&page=99999999999999999999",
    f"/review?unit={COMMUNE_A}&volunteer=abc",
    f"/review?unit={COMMUNE_A}&volunteer=99999999999999",
    f"/review?unit={COMMUNE_A}&status=deleted",
    f"/review?unit={COMMUNE_A}&village=" + "v" * 300,
    f"/review?unit={COMMUNE_A}&service=%00",
    "/review/entries/not-an-id",
    "/review/entries/" + "x" * 400,
    f"/review/next?unit={COMMUNE_A}&after=nope",
    f"/quotas?unit={COMMUNE_A}&period=20x6",
    f"/audit?unit={COMMUNE_A}&page=-1",
    f"/teams?unit={COMMUNE_B}",
]


def test_hostile_queries_get_a_page_never_a_5xx(signed_in: TestClient) -> None:
    for path in HOSTILE_GETS:
        response = signed_in.get(path)
        assert 300 <= response.status_code < 500, (path, response.status_code)


def test_hostile_posts_change_nothing(signed_in: TestClient, world: World) -> None:
    before_entries = world.entries()
    with world.factory() as session:
        before_quotas = session.scalars(select(Quota.target)).all()
    token = csrf_of(signed_in.get(f"/teams?unit={COMMUNE_A}").text)
    base = {"csrf_token": token, "unit": COMMUNE_A}
    posts: list[tuple[str, dict[str, object], dict[str, object] | None]] = [
        ("/review/decide", {**base, "scope": "one", "entry_id": "x", "decision": "approved"}, None),
        ("/review/decide", {**base, "scope": "ticked", "decision": "maybe"}, None),
        ("/review/decide", {**base, "scope": "all", "decision": "rejected", "reason": "",
                            "confirm": "yes", "expected": "10"}, None),
        ("/review/decide", {**base, "scope": "ticked", "entry_id": ["a"] * 150,
                            "decision": "approved"}, None),
        ("/review/decide", {**base, "unit": COMMUNE_B, "scope": "all",
                            "decision": "approved", "confirm": "yes", "expected": "4"}, None),
        ("/quotas/set", {**base, "unit_code": VILLAGE_A, "service": "vneid_level1",
                         "period": "2026", "target": "-5"}, None),
        ("/quotas/set", {**base, "unit_code": VILLAGE_A, "service": "vneid_level1",
                         "period": "năm", "target": "5"}, None),
        ("/quotas/set", {**base, "unit_code": "<b>", "service": "x", "period": "", "target": ""},
         None),
        ("/quotas/import", base, {"file": ("q.csv", b"\xff\xfe\x00bad", "text/csv")}),
        ("/quotas/import", base, {"file": ("q.csv", b"", "text/csv")}),
        ("/quotas/import", base, {"file": ("q.csv", b"a,b\n1,2\n", "text/csv")}),
        ("/teams/volunteers", {**base, "village": VILLAGE_A, "name": "", "phone": ""}, None),
        ("/teams/volunteers", {**base, "village": VILLAGE_A, "name": "An", "phone": "0112345678"},
         None),
        ("/teams/volunteers", {**base, "village": "21553-1", "name": "An", "phone": ""}, None),
        ("/teams/volunteers/999999/code", base, None),
        ("/teams/volunteers/abc/active", {**base, "active": "no"}, None),
        ("/teams/devices/none/revoke", base, None),
        ("/teams/bundle", base, {"file": ("b.fkb", b"not a bundle", "application/gzip")}),
        ("/teams/bundle", base, None),
    ]  # fmt: skip
    for path, data, files in posts:
        response = signed_in.post(path, data=data, files=files)  # type: ignore[arg-type]
        assert 400 <= response.status_code < 500, (path, data, response.status_code)
    assert world.entries() == before_entries
    with world.factory() as session:
        assert session.scalars(select(Quota.target)).all() == before_quotas
        assert session.scalars(select(User.name).where(User.name == "An")).all() == []
    assert not re.search(r"Traceback", signed_in.get(f"/units/{COMMUNE_A}").text)
