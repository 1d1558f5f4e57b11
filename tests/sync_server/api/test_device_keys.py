"""Bundle-signing public keys: sent at enrollment or registered once by an enrolled laptop."""

from __future__ import annotations

from api_factories import COMMUNE_A, VILLAGE_A, World, assert_error, login
from fastapi.testclient import TestClient

from fieldkit.store.signing import new_signing_key, public_key_of

ENROLL = "/api/v1/enroll"
KEY = "/api/v1/devices/key"


def test_enrollment_stores_the_public_key(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    code = world.enrollment_code(world.volunteer_user(VILLAGE_A))
    public = public_key_of(new_signing_key())
    response = client.post(ENROLL, json={"code": code, "public_key": public})
    assert response.status_code == 200, response.text
    assert response.json()["public_key"] == public
    assert world.device_row(response.json()["device_id"]).public_key == public


def test_a_malformed_key_at_enrollment_spends_nothing(client: TestClient, world: World) -> None:
    code = world.enrollment_code(world.volunteer_user(VILLAGE_A))
    for bad in ("AB" * 32, "ab" * 31, "xyz", "é" * 64):
        response = client.post(ENROLL, json={"code": code, "public_key": bad})
        assert response.status_code in (400, 422), response.text
    assert client.post(ENROLL, json={"code": code}).status_code == 200


def test_an_enrolled_laptop_registers_its_key_once(client: TestClient, world: World) -> None:
    user_id = world.volunteer_user(VILLAGE_A)
    device_id, token = world.device(user_id)  # enrolled before keys existed
    auth = {"Authorization": f"Bearer {token}"}
    public = public_key_of(new_signing_key())
    assert_error(client.post(KEY, json={"public_key": public}), 401, "token_missing")
    first = client.post(KEY, json={"public_key": public}, headers=auth)
    assert first.status_code == 200, first.text
    assert first.json() == {"device_id": device_id, "public_key": public}
    assert client.post(KEY, json={"public_key": public}, headers=auth).status_code == 200
    other = public_key_of(new_signing_key())
    assert_error(
        client.post(KEY, json={"public_key": other}, headers=auth), 409, "device_key_taken"
    )
    assert world.device_row(device_id).public_key == public


def test_staff_logins_have_no_signing_key(client: TestClient, world: World) -> None:
    world.staff("coordinator", COMMUNE_A, "Điều phối")
    auth = login(client, "Điều phối")
    response = client.post(KEY, json={"public_key": public_key_of(new_signing_key())}, headers=auth)
    assert_error(response, 403, "device_required")
