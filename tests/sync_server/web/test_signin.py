"""Signing in and out through the real app: cookies, server-side sessions, expiry, fixation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_factories import COMMUNE_A, PROVINCE, World
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from web_helpers import PASSWORD, AppFactory, csrf_of, set_cookie, sign_in, staff

from sync_server.db.models import WebSession
from sync_server.services.web_sessions import token_digest


def _sessions(world: World) -> list[WebSession]:
    with world.factory() as session:
        return list(session.scalars(select(WebSession)))


def test_a_signed_out_visitor_is_sent_to_the_sign_in_form(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/login"
    unit = client.get(f"/units/{COMMUNE_A}")
    assert unit.status_code == 303
    assert unit.headers["location"] == f"/login?next=%2Funits%2F{COMMUNE_A}"
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert '<html lang="vi">' in page.text and "Đăng nhập" in page.text


def test_sign_in_by_login_name_lands_on_the_own_commune(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Nguyễn Văn Đức", login="nguyen.van.duc")
    response = sign_in(client, "Nguyen.Van.Duc ")
    assert response.status_code == 303
    assert response.headers["location"] == f"/units/{COMMUNE_A}"
    cookie = response.headers["set-cookie"]
    assert "fk_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http on the LAN
    page = client.get(f"/units/{COMMUNE_A}")
    assert page.status_code == 200 and "Nguyễn Văn Đức" in page.text


def test_sign_in_by_user_id_and_the_stored_session_is_only_a_hash(
    client: TestClient, world: World
) -> None:
    user_id = staff(world, "province", PROVINCE, "Trần Thị Bình")
    response = sign_in(client, str(user_id))
    assert response.headers["location"] == f"/units/{PROVINCE}"
    token = client.cookies["fk_session"]
    [row] = _sessions(world)
    assert row.id_hash == token_digest(token) and token not in row.id_hash
    assert row.user_id == user_id and row.revoked_at is None


def test_a_wrong_password_opens_no_session(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Nguyễn Văn Đức", login="duc")
    for username, password in (("duc", "sai mật khẩu"), ("nobody", PASSWORD), ("", "")):
        response = sign_in(client, username, password)
        assert response.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
        assert "fk_session" not in client.cookies
    assert _sessions(world) == []


def test_volunteers_cannot_sign_in(client: TestClient, world: World) -> None:
    volunteer = world.volunteer_user("21550-1")
    assert sign_in(client, str(volunteer)).status_code == 401
    assert _sessions(world) == []


def test_the_cookie_is_secure_over_tls(make_web: AppFactory, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    direct, _ = make_web(base_url="https://testserver")
    _, header = set_cookie(sign_in(direct, "duc"), "fk_session")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=strict" in header
    for trusted, secure in ((True, True), (False, False)):
        proxied, _ = make_web(forwarded_proto=trusted)
        tls = {"X-Forwarded-Proto": "https"}
        seed, header = set_cookie(proxied.get("/login", headers=tls), "fk_seed")
        assert ("Secure" in header) is secure
        proxied.cookies.clear()  # the browser sends the seed back over TLS
        page = proxied.get("/login", headers={**tls, "Cookie": f"fk_seed={seed}"})
        response = proxied.post(
            "/login",
            data={"username": "duc", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            headers={**tls, "Cookie": f"fk_seed={seed}"},
        )
        _, header = set_cookie(response, "fk_session")
        assert ("Secure" in header) is secure


def test_sign_out_revokes_the_session_on_the_server(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    sign_in(client, "duc")
    token = client.cookies["fk_session"]
    page = client.get(f"/units/{COMMUNE_A}")
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/login?signed_out=1"
    assert 'fk_session=""' in response.headers["set-cookie"]
    [row] = _sessions(world)
    assert row.revoked_at is not None
    client.cookies.set("fk_session", token)  # a copied cookie replayed after sign-out
    assert client.get(f"/units/{COMMUNE_A}").status_code == 303


def test_a_new_session_id_at_every_sign_in(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    planted = sign_in(client, "duc")  # a session someone else got hold of, planted in a browser
    first, _ = set_cookie(planted, "fk_session")
    token = csrf_of(client.get(f"/units/{COMMUNE_A}").text)  # signing in again, signed in
    again = client.post(
        "/login", data={"username": "duc", "password": PASSWORD, "csrf_token": token}
    )
    second, _ = set_cookie(again, "fk_session")
    assert second != first
    client.cookies.clear()
    client.cookies.set("fk_session", "chosen-by-an-attacker", domain="testserver.local")
    third, _ = set_cookie(sign_in(client, "duc"), "fk_session")
    assert third not in (first, second, "chosen-by-an-attacker")
    rows = {row.id_hash: row for row in _sessions(world)}
    assert rows[token_digest(first)].revoked_at is not None
    assert rows[token_digest(second)].revoked_at is None


def _age(world: World, **columns: datetime) -> None:
    with world.factory() as session:
        session.execute(update(WebSession).values(**columns))
        session.commit()


def test_an_idle_session_ends(make_web: AppFactory, world: World) -> None:
    client, _ = make_web(session_idle_minutes=30)
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    sign_in(client, "duc")
    now = datetime.now(UTC)
    _age(world, last_seen_at=now - timedelta(minutes=29))
    assert client.get(f"/units/{COMMUNE_A}").status_code == 200  # and it is marked seen
    [row] = _sessions(world)
    assert row.last_seen_at > now - timedelta(minutes=1)
    _age(world, last_seen_at=now - timedelta(minutes=31))
    response = client.get(f"/units/{COMMUNE_A}")
    assert response.status_code == 303
    assert response.headers["location"].endswith("&expired=1")
    assert "Phiên làm việc đã kết thúc" in client.get(response.headers["location"]).text


def test_a_busy_session_still_ends_at_its_absolute_expiry(
    make_web: AppFactory, world: World
) -> None:
    client, _ = make_web(session_hours=8)
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    sign_in(client, "duc")
    [row] = _sessions(world)
    assert timedelta(hours=8) - (row.expires_at - row.created_at) < timedelta(seconds=1)
    _age(world, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert client.get(f"/units/{COMMUNE_A}").status_code == 303


def test_next_returns_to_the_page_asked_for_but_never_off_site(
    client: TestClient, world: World
) -> None:
    staff(world, "province", PROVINCE, "Bình", login="binh")
    page = client.get("/login?next=/units/21550-1%3Fperiod%3D2025")
    response = client.post(
        "/login",
        data={
            "username": "binh",
            "password": PASSWORD,
            "next": "/units/21550-1?period=2025",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.headers["location"] == "/units/21550-1?period=2025"
    for hostile in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "binh", "password": PASSWORD, "next": hostile,
                  "csrf_token": csrf_of(page.text)},
        )  # fmt: skip
        assert response.headers["location"] == f"/units/{PROVINCE}"


def test_sessions_are_counted_once_per_sign_in(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    sign_in(client, "duc")
    for _ in range(3):
        client.get(f"/units/{COMMUNE_A}")
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1


def test_long_ended_sessions_are_cleared_at_the_next_sign_in(
    client: TestClient, world: World
) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    sign_in(client, "duc")
    _age(world, expires_at=datetime.now(UTC) - timedelta(days=31))
    client.cookies.clear()
    sign_in(client, "duc")
    [row] = _sessions(world)
    assert row.expires_at > datetime.now(UTC)
