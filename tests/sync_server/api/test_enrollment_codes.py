"""Enrollment codes expire and can be withdrawn; a deactivated user's tokens stop working.

Wrong, spent, expired and withdrawn codes all get the very same answer."""

from __future__ import annotations

from datetime import timedelta

from api_factories import COMMUNE_A, VILLAGE_A, World, assert_error, login
from fastapi.testclient import TestClient

from sync_server.services import accounts

ENROLL = "/api/v1/enroll"
PULL = "/api/v1/sync/pull"


def test_spent_expired_withdrawn_and_unknown_codes_get_one_answer(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    spent = world.enrollment_code(world.volunteer_user(VILLAGE_A, "Một"))
    assert client.post(ENROLL, json={"code": spent}).status_code == 200
    expired = world.enrollment_code(world.volunteer_user(VILLAGE_A, "Hai"), timedelta(seconds=-1))
    withdrawn = world.enrollment_code(world.volunteer_user(VILLAGE_A, "Ba"))
    with world.factory() as s:
        accounts.revoke_code(s, withdrawn)
        s.commit()
    answers = [
        client.post(ENROLL, json={"code": code})
        for code in (spent, expired, withdrawn, "KHONG-CO-MA")
    ]
    for answer in answers:
        assert_error(answer, 401, "enroll_code_invalid")
    assert len({a.text for a in answers}) == 1


def test_a_code_works_until_it_expires(client: TestClient, world: World) -> None:
    fresh = world.enrollment_code(world.volunteer_user(VILLAGE_A), timedelta(minutes=1))
    assert client.post(ENROLL, json={"code": fresh}).status_code == 200


def test_a_deactivated_volunteer_loses_laptop_and_code(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    code = world.enrollment_code(volunteer.user_id)
    assert client.get(PULL, headers=volunteer.auth).status_code == 200
    with world.factory() as s:
        done = accounts.deactivate_user(s, volunteer.user_id)
        s.commit()
    assert (done.devices_revoked, done.codes_revoked) == (1, 1)
    assert_error(client.get(PULL, headers=volunteer.auth), 401, "token_revoked")
    assert_error(client.post(ENROLL, json={"code": code}), 401, "enroll_code_invalid")


def test_a_deactivated_coordinator_cannot_sign_in_and_their_login_stops(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    user_id = world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    with world.factory() as s:
        accounts.deactivate_user(s, user_id)
        s.commit()
    assert_error(client.get("/api/v1/tally", headers=auth), 401, "token_revoked")
    response = client.post(
        "/api/v1/login", json={"user": "Phạm Thu Hà", "password": "mật khẩu 123"}
    )
    assert_error(response, 401, "user_deactivated")
    wrong = client.post("/api/v1/login", json={"user": "Phạm Thu Hà", "password": "sai"})
    assert_error(wrong, 401, "login_failed")  # without the password, nothing is revealed
