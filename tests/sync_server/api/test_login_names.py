"""POST /api/v1/login takes the login name `user add` prints, like the web's sign-in form."""

from __future__ import annotations

from api_factories import COMMUNE_A, World, assert_error, login
from fastapi.testclient import TestClient
from sqlalchemy import update

from sync_server.db.models import User


def test_staff_sign_in_to_the_api_by_login_name(client: TestClient, world: World) -> None:
    user_id = world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    with world.factory() as session:
        session.execute(update(User).where(User.id == user_id).values(login="pham.thu.ha"))
        session.commit()
    for typed in ("pham.thu.ha", " Pham.Thu.Ha ", "Phạm Thu Hà", str(user_id)):
        auth = login(client, typed)
        assert client.get("/api/v1/tally", headers=auth).status_code == 200
    refused = client.post("/api/v1/login", json={"user": "pham.thu", "password": "mật khẩu 123"})
    assert_error(refused, 401, "login_failed")
