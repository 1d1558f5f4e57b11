"""Staff (coordinator, province, admin): tallies, masked audited entries, reviews, quotas."""

from __future__ import annotations

from typing import Any

import pytest
from api_factories import (
    COMMUNE_A,
    COMMUNE_B,
    PROVINCE,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    World,
    assert_error,
    entry,
    id_number,
    login,
    push_body,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync_server.db.models import AuditLog

PUSH = "/api/v1/sync/push"


def _seed_entries(client: TestClient, world: World) -> list[dict[str, Any]]:
    """Two entries in village A (one citizen), one in village B."""
    a = world.volunteer(VILLAGE_A)
    b = world.volunteer(VILLAGE_B)
    number = id_number()
    ours = [entry(VILLAGE_A, id_number=number), entry(VILLAGE_A, service="dvc_account")]
    theirs = [entry(VILLAGE_B, full_name="Võ Thị Mai", sex="female")]
    assert client.post(PUSH, json=push_body(*ours), headers=a.auth).status_code == 200
    assert client.post(PUSH, json=push_body(*theirs), headers=b.auth).status_code == 200
    return ours + theirs


def _achieved(rows: list[dict[str, Any]], unit: str, service: str = "vneid_level1") -> int:
    return sum(r["achieved"] for r in rows if r["unit_code"] == unit and r["service"] == service)


def test_coordinator_sees_own_commune_entries_masked_and_audited(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    pushed = _seed_entries(client, world)
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    response = client.get("/api/v1/entries", params={"unit": COMMUNE_A}, headers=auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["count"] == 2
    assert {e["id"] for e in page["data"]} == {pushed[0]["id"], pushed[1]["id"]}
    for item in page["data"]:
        assert "•" in item["id_masked"] and "id_number" not in item
        assert item["full_name"] == "Nguyễn Văn An"
    assert pushed[0]["id_number"] not in response.text
    with world.factory() as s:
        audited = set(s.scalars(select(AuditLog.entry_id).where(AuditLog.action == "entry.read")))
    assert audited == {pushed[0]["id"], pushed[1]["id"]}
    other = client.get("/api/v1/entries", params={"unit": COMMUNE_B}, headers=auth)
    assert_error(other, 403, "forbidden")


def test_entries_are_paged(client: TestClient, world: World) -> None:
    _seed_entries(client, world)
    world.staff("admin", None, "Quản Trị")
    auth = login(client, "Quản Trị")
    first = client.get("/api/v1/entries", params={"unit": PROVINCE, "limit": 2}, headers=auth)
    second = client.get(
        "/api/v1/entries", params={"unit": PROVINCE, "limit": 2, "offset": 2}, headers=auth
    )
    assert first.json()["count"] == second.json()["count"] == 3
    ids = [e["id"] for e in first.json()["data"] + second.json()["data"]]
    assert len(ids) == len(set(ids)) == 3
    bad = client.get("/api/v1/entries", params={"limit": 10_000}, headers=auth)
    assert_error(bad, 422, "invalid_request")
    assert "limit" in bad.json()["error"]["message"]


def test_province_officer_sees_no_names(client: TestClient, world: World) -> None:
    _seed_entries(client, world)
    world.staff("province", PROVINCE, "Sở KH&CN")
    auth = login(client, "Sở KH&CN")
    page = client.get("/api/v1/entries", params={"unit": PROVINCE}, headers=auth).json()
    assert page["count"] == 3
    assert all(e["full_name"] is None and e["phone_masked"] is None for e in page["data"])
    tally = client.get("/api/v1/tally", headers=auth).json()
    assert _achieved(tally, PROVINCE) == 2


def test_review_rejection_moves_the_tally(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    pushed = _seed_entries(client, world)
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    before = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=auth).json()
    assert _achieved(before, VILLAGE_A) == 1
    response = client.post(
        f"/api/v1/entries/{pushed[0]['id']}/review",
        json={"decision": "rejected", "reason": "Không đúng người"},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "rejected"
    assert response.json()["reviewer"] == "Phạm Thu Hà"
    after = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=auth).json()
    assert _achieved(after, VILLAGE_A) == 0


def test_review_refusals(client: TestClient, world: World) -> None:
    pushed = _seed_entries(client, world)
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    other_commune = client.post(
        f"/api/v1/entries/{pushed[2]['id']}/review", json={"decision": "approved"}, headers=auth
    )
    assert_error(other_commune, 403, "forbidden")
    village = pushed[2]["village"]
    assert village not in other_commune.text  # the refusal does not say where it belongs
    missing = client.post(
        "/api/v1/entries/0190f5a4-0000-7000-8000-000000000000/review",
        json={"decision": "approved"},
        headers=auth,
    )
    assert_error(missing, 404, "entry_not_found")
    not_uuid = client.post(
        "/api/v1/entries/nope/review", json={"decision": "approved"}, headers=auth
    )
    assert_error(not_uuid, 422, "invalid_request")
    bad_decision = client.post(
        f"/api/v1/entries/{pushed[0]['id']}/review", json={"decision": "maybe"}, headers=auth
    )
    assert_error(bad_decision, 422, "invalid_request")
    assert "decision" in bad_decision.json()["error"]["message"]


def test_review_without_a_reason_is_refused_like_the_web(
    served_any: tuple[TestClient, World],
) -> None:
    """Reject and has_issues need a reason through the API too, as on the web page."""
    client, world = served_any
    pushed = _seed_entries(client, world)
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    before = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=auth).json()
    for body in (
        {"decision": "rejected"},
        {"decision": "has_issues", "reason": "   "},
        {"decision": "rejected", "reason": "\n\t"},
    ):
        response = client.post(f"/api/v1/entries/{pushed[0]['id']}/review", json=body, headers=auth)
        assert_error(response, 422, "reason_required")
        assert "reason is required" in response.json()["error"]["message"]
    after = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=auth).json()
    assert after == before
    approved = client.post(
        f"/api/v1/entries/{pushed[0]['id']}/review", json={"decision": "approved"}, headers=auth
    )
    assert approved.status_code == 200, approved.text


def test_quotas_flow_downwards(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    body = [
        {"unit_code": VILLAGE_A, "service": "vneid_level1", "period": "2026", "target": 40},
        {"unit_code": VILLAGE_A2, "service": "vneid_level1", "period": "2026", "target": 60},
    ]
    response = client.put("/api/v1/quotas", json=body, headers=auth)
    assert response.status_code == 200, response.text
    listed = client.get("/api/v1/quotas", params={"period": "2026"}, headers=auth).json()
    assert {(q["unit_code"], q["target"]) for q in listed} == {(VILLAGE_A, 40), (VILLAGE_A2, 60)}
    volunteer = world.volunteer(VILLAGE_A)
    assert client.post(PUSH, json=push_body(entry(VILLAGE_A)), headers=volunteer.auth).is_success
    tally = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=volunteer.auth).json()
    row = next(r for r in tally if r["service"] == "vneid_level1" and r["unit_code"] == VILLAGE_A)
    assert row["quota"] == 40 and row["achieved"] == 1 and row["percentage"] == 2.5


@pytest.mark.parametrize(
    ("item", "status", "code"),
    [
        ({"unit_code": COMMUNE_A, "target": 5}, 403, "forbidden"),
        ({"unit_code": VILLAGE_B, "target": 5}, 403, "forbidden"),
        ({"unit_code": "99999-9", "target": 5}, 404, "unit_not_found"),
        ({"unit_code": VILLAGE_A, "target": -5}, 422, "invalid_request"),
        ({"unit_code": VILLAGE_A, "service": "mining"}, 422, "invalid_quota"),
        ({"unit_code": VILLAGE_A, "period": "26"}, 422, "invalid_request"),
    ],
)
def test_quota_refusals(
    client: TestClient, world: World, item: dict[str, Any], status: int, code: str
) -> None:
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    good = {"unit_code": VILLAGE_A2, "service": "vneid_level1", "period": "2026", "target": 1}
    bad = {"service": "vneid_level1", "period": "2026", "target": 1} | item
    assert_error(client.put("/api/v1/quotas", json=[good, bad], headers=auth), status, code)
    assert client.get("/api/v1/quotas", headers=auth).json() == []  # all or nothing


def test_volunteers_cannot_set_quotas(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    body = [{"unit_code": VILLAGE_A, "service": "vneid_level1", "period": "2026", "target": 1}]
    assert_error(client.put("/api/v1/quotas", json=body, headers=volunteer.auth), 403, "forbidden")


def test_units_tree(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    provinces = client.get("/api/v1/units", headers=volunteer.auth).json()
    assert [u["code"] for u in provinces] == [PROVINCE]
    villages = client.get("/api/v1/units", params={"parent": COMMUNE_A}, headers=volunteer.auth)
    assert [u["code"] for u in villages.json()] == [VILLAGE_A, VILLAGE_A2]
    missing = client.get("/api/v1/units", params={"parent": "00000"}, headers=volunteer.auth)
    assert_error(missing, 404, "unit_not_found")
    assert_error(client.get("/api/v1/units"), 401, "token_missing")


def test_unknown_tally_unit_is_404(client: TestClient, world: World) -> None:
    world.staff("admin", None, "Quản Trị")
    auth = login(client, "Quản Trị")
    assert_error(
        client.get("/api/v1/tally", params={"unit": "nope"}, headers=auth), 404, "unit_not_found"
    )
    assert_error(client.get("/api/v1/tally", headers=auth), 400, "unit_required")
    bad = client.get("/api/v1/tally", params={"unit": PROVINCE, "period": "20x6"}, headers=auth)
    assert_error(bad, 422, "invalid_request")
