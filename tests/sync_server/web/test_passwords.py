"""Passwords: the one-time password from `user add` must be replaced; changing one's own; resets."""

from __future__ import annotations

import re

from api_factories import COMMUNE_A, COMMUNE_B, HEADERS, PROVINCE, VILLAGE_A, World, login
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import PASSWORD, AppFactory, csrf_of, sign_in, staff

from sync_server.db.models import Unit, User, WebSession
from sync_server.services.passwords import password_matches
from sync_server.services.users import add_user

NEW = "mật khẩu riêng của tôi"


def _added(world: World, role: str, unit: str | None, name: str) -> tuple[str, str]:
    with world.factory() as session:
        added = add_user(session, role, unit, name)
        session.commit()
    assert added.password is not None
    return added.login, added.password


def _change(client: TestClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/password").text)
    return client.post(
        "/password",
        data={"current": current, "new": new, "again": again or new, "csrf_token": token},
    )


def test_a_one_time_password_must_be_replaced_before_anything_else(
    client: TestClient, world: World
) -> None:
    login, once = _added(world, "coordinator", COMMUNE_A, "Lò Thị Mai")
    assert login == "lo.thi.mai"
    response = sign_in(client, login, once)
    assert response.headers["location"] == "/password"
    for path in ("/", f"/units/{COMMUNE_A}", f"/units/{COMMUNE_A}.json"):
        assert client.get(path).headers["location"] == "/password"
    page = client.get("/password")
    assert "Chọn mật khẩu mới" in page.text
    assert _change(client, once, once).status_code == 400  # the same one again
    assert _change(client, once, "ngắn").status_code == 400
    assert _change(client, once, NEW, NEW + "x").status_code == 400
    assert _change(client, "sai", NEW).status_code == 400
    response = _change(client, once, NEW)
    assert response.status_code == 303 and response.headers["location"] == f"/units/{COMMUNE_A}"
    assert client.get(f"/units/{COMMUNE_A}").status_code == 200
    with world.factory() as session:
        user = session.scalars(select(User).where(User.login == login)).one()
        assert not user.must_change_password and password_matches(user.password_hash, NEW)


def test_changing_ones_password_ends_the_other_sessions(
    make_web: AppFactory, client: TestClient, world: World
) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    other, _ = make_web()
    sign_in(other, "duc")
    sign_in(client, "duc")
    client.headers.update(HEADERS)  # the API's protocol header, as fieldkit sends it
    api_token = login(client, "duc")
    assert client.get("/api/v1/tally", headers=api_token).status_code == 200
    wrong = _change(client, "sai mật khẩu", NEW)
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng." in wrong.text
    response = _change(client, PASSWORD, NEW)
    assert response.status_code == 200 and "Đã đổi mật khẩu." in response.text
    assert client.get(f"/units/{COMMUNE_A}").status_code == 200  # this browser stays in
    assert other.get(f"/units/{COMMUNE_A}").status_code == 303  # the other one is out
    assert client.get("/api/v1/tally", headers=api_token).status_code == 401  # the API too
    other.cookies.clear()
    assert sign_in(other, "duc").status_code == 401
    assert sign_in(other, "duc", NEW).status_code == 303


def _reset(client: TestClient, user_id: int):  # type: ignore[no-untyped-def]
    page = client.get(f"/people/{user_id}/password-reset")
    if page.status_code != 200:
        return page
    return client.post(f"/people/{user_id}/password-reset", data={"csrf_token": csrf_of(page.text)})


def test_a_province_officer_resets_a_coordinators_password_once(
    make_web: AppFactory, client: TestClient, world: World
) -> None:
    coordinator = staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    staff(world, "province", PROVINCE, "Bình", login="binh")
    victim_browser, _ = make_web()
    sign_in(victim_browser, "duc")
    sign_in(client, "binh")
    response = _reset(client, coordinator)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    once = re.search(r'<code class="once">([^<]+)</code>', response.text)
    assert once is not None
    assert "Chỉ hiển thị một lần" in response.text
    assert once.group(1) not in client.get(f"/people/{coordinator}/password-reset").text
    assert victim_browser.get(f"/units/{COMMUNE_A}").status_code == 303  # sessions ended
    victim_browser.cookies.clear()
    assert sign_in(victim_browser, "duc").status_code == 401  # the old password is gone
    landed = sign_in(victim_browser, "duc", once.group(1))
    assert landed.headers["location"] == "/password"


def test_who_may_reset_whose_password(make_web: AppFactory, world: World) -> None:
    with world.factory() as session:
        session.add(Unit(code="64", name="Tỉnh khác", level="province"))
        session.commit()
    ids = {
        "coord_a": staff(world, "coordinator", COMMUNE_A, "A", login="coord_a"),
        "coord_a2": staff(world, "coordinator", COMMUNE_A, "A2", login="coord_a2"),
        "coord_b": staff(world, "coordinator", COMMUNE_B, "B", login="coord_b"),
        "prov": staff(world, "province", PROVINCE, "P", login="prov"),
        "prov_other": staff(world, "province", "64", "Q", login="prov_other"),
        "admin": staff(world, "admin", None, "Admin", login="admin"),
    }
    volunteer = world.volunteer_user(VILLAGE_A)
    allowed = {
        ("prov", "coord_a"),
        ("prov", "coord_a2"),
        ("prov", "coord_b"),
        ("admin", "coord_a"),
        ("admin", "prov"),
        ("admin", "prov_other"),
    }
    for actor in ids:
        client, _ = make_web()
        sign_in(client, actor)
        for target, target_id in ids.items():
            status = _reset(client, target_id).status_code
            expected = 200 if (actor, target) in allowed else 404
            if actor == "admin" and target != "admin":
                expected = 200  # an admin resets anyone's but their own
            assert status == expected, (actor, target, status)
        assert _reset(client, volunteer).status_code in (400, 404)
        assert _reset(client, 999_999).status_code == 404
    with world.factory() as session:
        refreshed = session.get(User, ids["coord_a"])
        assert refreshed is not None and refreshed.must_change_password
        assert session.scalars(select(WebSession)).first() is not None


def test_odd_user_numbers_are_a_page_not_a_crash(client: TestClient, world: World) -> None:
    staff(world, "admin", None, "Admin", login="admin")
    sign_in(client, "admin")
    for number in ("99999999999999999999", "2147483648", "0", "-1", "abc", "1e3"):
        response = client.get(f"/people/{number}/password-reset")
        assert response.status_code in (400, 404), number
        assert "<html" in response.text
