"""Forged posts need this session's token and our own origin; a refusal changes nothing."""

from __future__ import annotations

import httpx
import pytest
from api_factories import COMMUNE_A, World
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import PASSWORD, AppFactory, csrf_of, sign_in, staff

from sync_server.db.models import User, WebSession
from sync_server.services.passwords import password_matches

NEW = "một mật khẩu mới dài"


def _signed_in(client: TestClient, world: World) -> str:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    sign_in(client, "duc")
    return csrf_of(client.get(f"/units/{COMMUNE_A}").text)


def _unchanged(world: World) -> None:
    with world.factory() as session:
        user = session.scalars(select(User).where(User.login == "duc")).one()
        assert password_matches(user.password_hash, PASSWORD)
        assert all(row.revoked_at is None for row in session.scalars(select(WebSession)))


def _change(client: TestClient, token: str | None, **headers: str) -> httpx.Response:
    data = {"current": PASSWORD, "new": NEW, "again": NEW}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/password", data=data, headers=headers)


@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-hex", "a" * 5000])
def test_a_post_without_this_sessions_token_is_refused(
    client: TestClient, world: World, token: str | None
) -> None:
    _signed_in(client, world)
    response = _change(client, token)
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.text
    assert "Traceback" not in response.text
    _unchanged(world)
    response = client.post("/logout", data={} if token is None else {"csrf_token": token})
    assert response.status_code == 403
    _unchanged(world)


def test_another_sessions_token_does_not_fit(
    make_web: AppFactory, client: TestClient, world: World
) -> None:
    _signed_in(client, world)
    other, _ = make_web()
    staff(world, "coordinator", COMMUNE_A, "Mai", login="mai")
    sign_in(other, "mai")
    others_token = csrf_of(other.get(f"/units/{COMMUNE_A}").text)
    assert _change(client, others_token).status_code == 403
    _unchanged(world)
    seed_token = csrf_of(make_web()[0].get("/login").text)  # a signed-out browser's token
    assert _change(client, seed_token).status_code == 403
    _unchanged(world)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "http://evil.example", "Referer": "http://testserver/units"},
    ],
)
def test_a_foreign_origin_is_refused_even_with_the_right_token(
    client: TestClient, world: World, headers: dict[str, str]
) -> None:
    token = _signed_in(client, world)
    assert _change(client, token, **headers).status_code == 403
    _unchanged(world)


def test_our_own_origin_and_the_right_token_pass(client: TestClient, world: World) -> None:
    token = _signed_in(client, world)
    response = _change(client, token, Origin="http://testserver", Referer="http://testserver/x")
    assert response.status_code == 200
    with world.factory() as session:
        user = session.scalars(select(User).where(User.login == "duc")).one()
        assert password_matches(user.password_hash, NEW)


def test_the_sign_in_form_needs_its_token_too(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    client.get("/login")  # has the seed cookie, but posts without the form's token
    for data in (
        {"username": "duc", "password": PASSWORD},
        {"username": "duc", "password": PASSWORD, "csrf_token": "f" * 64},
    ):
        response = client.post("/login", data=data)
        assert response.status_code == 403
        assert "fk_session" not in response.headers.get("set-cookie", "")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "duc", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    with world.factory() as session:
        assert session.scalars(select(WebSession)).first() is None


def test_hostile_form_bodies_get_a_page_not_a_traceback(client: TestClient, world: World) -> None:
    token = _signed_in(client, world)
    bodies: list[dict[str, object]] = [
        {"content": b"\xff\xfe\x00garbage", "headers": {"Content-Type": "multipart/form-data"}},
        {"data": {"csrf_token": token, "current": "x\x00y", "new": NEW, "again": NEW}},
        {"data": {"csrf_token": token, "current": "x" * 20_000, "new": NEW, "again": NEW}},
        {"content": b"csrf_token=%ZZ&&&==", "headers": {"Content-Type": "text/plain"}},
    ]
    for body in bodies:
        response = client.post("/password", **body)  # type: ignore[arg-type]
        assert 400 <= response.status_code < 500, response.status_code
        assert "<html" in response.text
    _unchanged(world)
