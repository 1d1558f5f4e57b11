"""Every staff page × every role × every unit kind → the expected status, no stray figure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_factories import COMMUNE_A, COMMUNE_B, PROVINCE, VILLAGE_A, VILLAGE_B, World
from fastapi.testclient import TestClient
from web_helpers import AppFactory, sign_in, staff

from sync_server.db.models import Quota, Unit, User
from sync_server.services import web_sessions

OTHER_PROVINCE = "64"
UNKNOWN = "99999"
UNITS = {
    "province": PROVINCE,
    "commune": COMMUNE_A,
    "village": VILLAGE_A,
    "other commune": COMMUNE_B,
    "other village": VILLAGE_B,
    "other province": OTHER_PROVINCE,
    "unknown": UNKNOWN,
}
# role → the unit kinds it may open (everything else existing is 403, unknown is 404).
SEES = {
    "coordinator of this commune": {"commune", "village"},
    "coordinator of another commune": {"other commune", "other village"},
    "province of this province": {
        "province",
        "commune",
        "village",
        "other commune",
        "other village",
    },
    "province of another": {"other province"},
    "admin": set(UNITS) - {"unknown"},
}
ROLES = ["none", "volunteer", *SEES]
PAGES = ["/units/{code}", "/units/{code}.json", "/units/{code}?period=2025"]


def _expected(role: str, kind: str) -> int:
    if role == "none":
        return 303
    if role == "volunteer":
        return 403
    if kind == "unknown":
        return 404
    return 200 if kind in SEES[role] else 403


@pytest.fixture
def browsers(make_web: AppFactory, world: World) -> dict[str, TestClient]:
    with world.factory() as session:
        session.add(Unit(code=OTHER_PROVINCE, name="Tỉnh Khác", level="province"))
        for code, target in ((PROVINCE, 4321), (COMMUNE_A, 1234), (COMMUNE_B, 5678)):
            session.add(Quota(unit_code=code, service="vneid_level2", period="2025",
                              target=target))  # fmt: skip
        session.commit()
    people = {
        "coordinator of this commune": ("coordinator", COMMUNE_A),
        "coordinator of another commune": ("coordinator", COMMUNE_B),
        "province of this province": ("province", PROVINCE),
        "province of another": ("province", OTHER_PROVINCE),
        "admin": ("admin", None),
    }
    clients: dict[str, TestClient] = {}
    for role, (kind, unit) in people.items():
        client, _ = make_web()
        staff(world, kind, unit, role, login=role.replace(" ", "."))
        assert sign_in(client, role.replace(" ", ".")).status_code == 303
        clients[role] = client
    clients["none"] = make_web()[0]
    # A volunteer cannot sign in; give one a session anyway, as if their role had changed.
    volunteer_browser, _ = make_web()
    with world.factory() as session:
        volunteer = session.get(User, world.volunteer_user(VILLAGE_A))
        assert volunteer is not None
        limits = web_sessions.SessionLimits(timedelta(hours=1), timedelta(hours=2))
        opened = web_sessions.open_session(session, volunteer, limits)
        session.commit()
    volunteer_browser.cookies.set("fk_session", opened.token, domain="testserver.local")
    clients["volunteer"] = volunteer_browser
    return clients


def test_every_unit_page_for_every_role(browsers: dict[str, TestClient]) -> None:
    failures = []
    for role in ROLES:
        client = browsers[role]
        for kind, code in UNITS.items():
            for page in PAGES:
                response = client.get(page.format(code=code))
                expected = _expected(role, kind)
                if response.status_code != expected:
                    failures.append((role, kind, page, response.status_code, expected))
                    continue
                if expected == 200:
                    continue
                body = response.text
                assert "data-value" not in body and "1.234" not in body and "5.678" not in body
                assert "4.321" not in body and "1234" not in body and "5678" not in body
                if expected == 303:
                    assert response.headers["location"].startswith("/login?next=")
                elif ".json" in page:
                    assert response.json()["error"]["code"]
                else:
                    assert "<html" in body
    assert failures == []


REPORTS = ["/reports/campaign?unit={code}&period=2025", "/reports/campaign.xlsx?unit={code}"]


def _report_expected(role: str, kind: str) -> int:
    """As for unit pages, but the report is made for a province or a commune only."""
    expected = _expected(role, kind)
    return 404 if expected == 200 and "village" in kind else expected


def test_every_report_for_every_role(browsers: dict[str, TestClient]) -> None:
    failures = []
    for role in ROLES:
        for kind, code in UNITS.items():
            for page in REPORTS:
                response = browsers[role].get(page.format(code=code))
                expected = _report_expected(role, kind)
                if response.status_code != expected:
                    failures.append((role, kind, page, response.status_code, expected))
                elif expected != 200:
                    body = response.text
                    assert "data-value" not in body and "data-unit-row" not in body
                    assert "Gia Lai" not in body and "Xã An Nhơn" not in body
    assert failures == []


def test_a_commune_page_shows_its_figures_with_raw_values(browsers: dict[str, TestClient]) -> None:
    client = browsers["coordinator of this commune"]
    page = client.get(f"/units/{COMMUNE_A}?period=2025")
    assert (
        f'data-unit="{COMMUNE_A}" data-service="vneid_level2" data-metric="quota" '
        'data-value="1234">1.234</data>'
    ) in page.text
    english = client.get("/lang?to=en&next=/")
    assert english.status_code == 303
    page = client.get(f"/units/{COMMUNE_A}?period=2025")
    assert 'data-value="1234">1,234</data>' in page.text and '<html lang="en">' in page.text
    twin = client.get(f"/units/{COMMUNE_A}.json?period=2025").json()
    [row] = [s for s in twin["services"] if s["service"] == "vneid_level2"]
    assert row["quota"] == 1234 and row["achieved"] == 0 and row["percent"] == 0.0


@pytest.mark.parametrize("period", ["20255", "abcd", "２０２５", "2025-01", "-1"])
def test_a_bad_period_is_a_clear_400_page(browsers: dict[str, TestClient], period: str) -> None:
    client = browsers["admin"]
    response = client.get(f"/units/{COMMUNE_A}", params={"period": period})
    assert response.status_code == 400
    assert "Kỳ phải là một năm" in response.text and "data-value" not in response.text


def test_where_each_person_lands(browsers: dict[str, TestClient], make_web: AppFactory) -> None:
    landing = {
        "coordinator of this commune": f"/units/{COMMUNE_A}",
        "province of this province": f"/units/{PROVINCE}",
        "admin": "/units",
        "none": "/login",
    }
    for role, target in landing.items():
        assert browsers[role].get("/").headers["location"] == target
    provinces = browsers["admin"].get("/units")
    assert provinces.status_code == 200
    assert 'href="/units/52"' in provinces.text and 'href="/units/64"' in provinces.text
    redirected = browsers["coordinator of this commune"].get("/units")
    assert redirected.headers["location"] == f"/units/{COMMUNE_A}"


def test_the_volunteer_page_refusal_names_the_app(browsers: dict[str, TestClient]) -> None:
    response = browsers["volunteer"].get("/")
    target = response.headers["location"]
    page = browsers["volunteer"].get(target)
    assert page.status_code == 403 and "ứng dụng fieldkit" in page.text
