"""PUT /api/v1/quotas accepts a target group; the tally reports each group's quota."""

from __future__ import annotations

from api_factories import COMMUNE_A, VILLAGE_A, World, assert_error, entry, login, push_body
from fastapi.testclient import TestClient

PUSH = "/api/v1/sync/push"


def test_group_quotas_are_kept_apart_and_reach_the_tally(client: TestClient, world: World) -> None:
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    quota = {"unit_code": VILLAGE_A, "service": "vneid_level1", "period": "2026"}
    body = [
        quota | {"target": 40},
        quota | {"target": 12, "group": "youth"},
        quota | {"target": 30, "group": "non_youth"},
    ]
    response = client.put("/api/v1/quotas", json=body, headers=auth)
    assert response.status_code == 200, response.text
    listed = client.get("/api/v1/quotas", params={"period": "2026"}, headers=auth).json()
    assert sorted((q["group"], q["target"]) for q in listed) == [
        ("all", 40),
        ("non_youth", 30),
        ("youth", 12),
    ]
    volunteer = world.volunteer(VILLAGE_A)
    assert client.post(PUSH, json=push_body(entry(VILLAGE_A)), headers=volunteer.auth).is_success
    tally = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=auth).json()
    row = next(r for r in tally if r["service"] == "vneid_level1" and r["unit_code"] == VILLAGE_A)
    assert (row["quota"], row["youth_quota"], row["non_youth_quota"]) == (40, 12, 30)
    assert row["achieved"] == 1 and row["youth"] + row["non_youth"] == 1
    refused = client.put(
        "/api/v1/quotas", json=[quota | {"target": 1, "group": "old"}], headers=auth
    )
    assert_error(refused, 422, "invalid_request")
