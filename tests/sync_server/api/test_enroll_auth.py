"""Enrollment codes, device tokens, staff logins: the good path and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_factories import COMMUNE_A, VILLAGE_A, World, assert_error, login
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync_server.db.models import Device
from sync_server.services import devices

ENROLL = "/api/v1/enroll"
PULL = "/api/v1/sync/pull"


def test_enroll_returns_a_working_token_and_the_team_village(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    user_id = world.volunteer_user(VILLAGE_A, "Lê Văn Cường")
    code = world.enrollment_code(user_id)
    response = client.post(ENROLL, json={"code": code.lower(), "device_name": "Máy tổ 1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_id"] == user_id and body["user_name"] == "Lê Văn Cường"
    assert body["villages"] == [
        {
            "code": VILLAGE_A,
            "name": "Thôn 1",
            "commune_code": COMMUNE_A,
            "commune_name": "Xã An Nhơn",
        }
    ]
    stored = world.device_row(body["device_id"])
    assert stored.token_hash == devices.token_hash(body["token"]) != body["token"]
    assert stored.name == "Máy tổ 1"
    pulled = client.get(PULL, headers={"Authorization": f"Bearer {body['token']}"})
    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["server_epoch"] == body["server_epoch"]


def test_enrollment_code_is_single_use(client: TestClient, world: World) -> None:
    code = world.enrollment_code(world.volunteer_user(VILLAGE_A))
    assert client.post(ENROLL, json={"code": code}).status_code == 200
    assert_error(client.post(ENROLL, json={"code": code}), 401, "enroll_code_invalid")


def test_bad_enrollment_code(client: TestClient, world: World) -> None:
    world.enrollment_code(world.volunteer_user(VILLAGE_A))
    assert_error(client.post(ENROLL, json={"code": "NOPE-NOPE"}), 401, "enroll_code_invalid")
    assert_error(client.post(ENROLL, json={"code": "ab"}), 422, "invalid_request")
    assert_error(client.post(ENROLL, json={"code": 12345678}), 422, "invalid_request")


def test_missing_token(client: TestClient) -> None:
    assert_error(client.get(PULL), 401, "token_missing")
    assert_error(client.get(PULL, headers={"Authorization": "Basic abc"}), 401, "token_missing")


def test_wrong_token(client: TestClient, world: World) -> None:
    world.volunteer(VILLAGE_A)
    response = client.get(PULL, headers={"Authorization": "Bearer not-a-real-token"})
    assert_error(response, 401, "token_invalid")
    assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_token(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    assert client.get(PULL, headers=volunteer.auth).status_code == 200
    world.revoke(volunteer.device_id)
    assert_error(client.get(PULL, headers=volunteer.auth), 401, "token_revoked")


def test_staff_login_by_name_and_id(client: TestClient, world: World) -> None:
    user_id = world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    by_name = login(client, "Phạm Thu Hà")
    by_id = login(client, str(user_id))
    assert by_name != by_id
    assert client.get("/api/v1/tally", headers=by_name).status_code == 200


def test_login_refusals_say_nothing_about_which_part_was_wrong(
    client: TestClient, world: World
) -> None:
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    wrong_password = client.post("/api/v1/login", json={"user": "Phạm Thu Hà", "password": "x"})
    unknown_user = client.post("/api/v1/login", json={"user": "Ai Đó", "password": "x"})
    assert_error(wrong_password, 401, "login_failed")
    assert_error(unknown_user, 401, "login_failed")
    assert wrong_password.json() == unknown_user.json()


def test_logout_revokes_the_login_token(client: TestClient, world: World) -> None:
    world.staff("admin", None, "Quản Trị")
    auth = login(client, "Quản Trị")
    assert client.post("/api/v1/logout", headers=auth).status_code == 204
    assert_error(client.get("/api/v1/tally?unit=52", headers=auth), 401, "token_revoked")


def test_a_login_token_cannot_sync(client: TestClient, world: World) -> None:
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    assert_error(client.get(PULL, headers=auth), 403, "device_required")


def test_a_login_expires_after_a_working_day(client: TestClient, world: World) -> None:
    world.staff("admin", None, "Quản Trị")
    auth = login(client, "Quản Trị")
    assert client.get("/api/v1/units", headers=auth).status_code == 200
    token = auth["Authorization"].removeprefix("Bearer ")
    with world.factory() as s:
        row = s.scalars(select(Device).where(Device.token_hash == devices.token_hash(token))).one()
        assert row.name.startswith(devices.LOGIN_PREFIX)
        row.created_at = datetime.now(UTC) - devices.LOGIN_TTL - timedelta(minutes=1)
        s.commit()
    response = client.get("/api/v1/units", headers=auth)
    assert_error(response, 401, "token_revoked")
    assert "expired" in response.json()["error"]["message"]
