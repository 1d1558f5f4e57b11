"""The web sign-in form goes through the same lockout as POST /api/v1/login, and shares it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from api_factories import COMMUNE_A, HEADERS, World
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from web_helpers import PASSWORD, AppFactory, sign_in, staff

from sync_server.db.models import SignInAttempts, User, WebSession

WRONG_VI = "Sai tên đăng nhập hoặc mật khẩu."
THROTTLED_VI = "Đăng nhập sai quá nhiều lần. Hãy đợi một lúc rồi thử lại."


def _api_login(client: TestClient, user: str, password: str) -> httpx.Response:
    return client.post("/api/v1/login", json={"user": user, "password": password}, headers=HEADERS)


def _sessions(world: World) -> int:
    with world.factory() as session:
        return session.scalar(select(func.count()).select_from(WebSession)) or 0


def _assert_locked_page(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert THROTTLED_VI in response.text and 'name="password"' in response.text


def test_the_web_form_locks_the_account_after_repeated_wrong_passwords(
    client: TestClient, world: World
) -> None:
    staff(world, "coordinator", COMMUNE_A, "Nguyễn Văn Đức", login="duc")
    for _ in range(5):
        response = sign_in(client, "duc", "sai mật khẩu")
        assert response.status_code == 401 and WRONG_VI in response.text
    _assert_locked_page(sign_in(client, "duc"))  # even the right password, while locked
    assert "fk_session" not in client.cookies and _sessions(world) == 0
    # The lock is the API's too.
    locked = _api_login(client, "duc", PASSWORD)
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "account_locked"


def test_wrong_passwords_on_the_api_lock_the_web_form(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Nguyễn Văn Đức", login="duc")
    for _ in range(5):
        assert _api_login(client, "Nguyễn Văn Đức", "sai mật khẩu").status_code == 401
    _assert_locked_page(sign_in(client, "DUC"))
    assert _sessions(world) == 0
    with world.factory() as session:  # the lock runs out
        session.execute(update(SignInAttempts).values(locked_until=datetime.now(UTC)))
        session.commit()
    response = sign_in(client, "duc")
    assert response.status_code == 303 and _sessions(world) == 1
    with world.factory() as session:  # a right password clears the account's count
        assert session.scalars(select(SignInAttempts.key)).all() == ["address:testclient"]


def test_the_address_limit_covers_the_web_form(make_web: AppFactory) -> None:
    client, world = make_web(address_failures=3)
    staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    for name in ("an", "binh", "chi"):  # names that do not exist count against the address
        assert sign_in(client, name, "sai mật khẩu").status_code == 401
    _assert_locked_page(sign_in(client, "duc"))
    assert _api_login(client, "duc", PASSWORD).status_code == 429


def test_a_deactivated_user_reads_wrong_login_name_or_password(
    client: TestClient, world: World
) -> None:
    user_id = staff(world, "coordinator", COMMUNE_A, "Đức", login="duc")
    with world.factory() as session:
        session.execute(
            update(User).where(User.id == user_id).values(deactivated_at=datetime.now(UTC))
        )
        session.commit()
    response = sign_in(client, "duc")
    assert response.status_code == 401 and WRONG_VI in response.text
    assert "fk_session" not in client.cookies and _sessions(world) == 0
