"""Every hostile request gets a 4xx envelope (never a 5xx) and leaves stored entries untouched."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from api_factories import (
    HEADERS,
    VILLAGE_A,
    VILLAGE_B,
    World,
    entry,
    login,
    push_body,
)
from fastapi.testclient import TestClient

from fieldkit.domain import wire

JSON = {"Content-Type": "application/json"}


def _requests(token: str, staff: str, stored_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, httpx kwargs) for each hostile request."""
    auth = {"Authorization": f"Bearer {token}"}
    staff_auth = {"Authorization": f"Bearer {staff}"}
    overwrite = entry(VILLAGE_A, id=stored_id, full_name="Kẻ Gian", rev=2)
    return [
        ("POST", "/api/v1/sync/push", {"content": b"{not json", "headers": auth | JSON}),
        ("POST", "/api/v1/sync/push", {"content": b"\xff\xfe\x00", "headers": auth | JSON}),
        ("POST", "/api/v1/sync/push", {"content": b"null", "headers": auth | JSON}),
        ("POST", "/api/v1/sync/push", {"content": b"", "headers": auth | JSON}),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": {"mutations": [{"mutation_id": 1e30}]}, "headers": auth},
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": {"mutations": [{"mutation_id": 2**70, "entry": {}}]}, "headers": auth},
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": {"mutations": [{"mutation_id": 1, "entry": []}]}, "headers": auth},
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": push_body(*[entry(VILLAGE_A)] * 1001), "headers": auth},
        ),
        ("POST", "/api/v1/sync/push", {"json": {"mutations": [], "extra": True}, "headers": auth}),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": push_body(entry(VILLAGE_A), first=50), "headers": auth},
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": push_body(entry(VILLAGE_B)), "headers": {"Authorization": "Bearer forged"}},
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": push_body(overwrite), "headers": {"Authorization": "Bearer "}},
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {
                "content": gzip.compress(b"[" * 400_000),
                "headers": auth | JSON | {"Content-Encoding": "gzip"},
            },
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {
                "content": b"\x1f\x8b" + b"\x00" * 30,
                "headers": auth | JSON | {"Content-Encoding": "gzip"},
            },
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {
                "content": json.dumps({"mutations": []}),
                "headers": auth | JSON | {"Content-Length": "abc"},
            },
        ),
        (
            "POST",
            "/api/v1/sync/push",
            {"json": {"mutations": []}, "headers": auth | {wire.PROTOCOL_HEADER: "9.0"}},
        ),
        ("GET", "/api/v1/sync/pull?cursor=99999999999999999999999", {"headers": auth}),
        ("GET", "/api/v1/sync/pull?limit=-1", {"headers": auth}),
        ("GET", "/api/v1/tally?unit=" + "9" * 5000, {"headers": auth}),
        ("GET", "/api/v1/tally?unit=52%00", {"headers": auth}),
        ("GET", "/api/v1/entries?unit=21550&offset=-1", {"headers": staff_auth}),
        ("GET", "/api/v1/entries?unit=21550&unknown=1", {"headers": staff_auth}),
        (
            "POST",
            f"/api/v1/entries/{stored_id}/review",
            {"json": {"decision": "approved", "reason": "x" * 600}, "headers": staff_auth},
        ),
        (
            "POST",
            f"/api/v1/entries/{stored_id}/review",
            {"json": {"decision": "approved"}, "headers": auth},
        ),
        ("PUT", "/api/v1/quotas", {"json": {"unit_code": VILLAGE_A}, "headers": staff_auth}),
        (
            "PUT",
            "/api/v1/quotas",
            {
                "json": [
                    {
                        "unit_code": VILLAGE_A,
                        "service": "vneid_level1",
                        "period": "2026",
                        "target": 10**12,
                    }
                ],
                "headers": staff_auth,
            },
        ),
        ("POST", "/api/v1/enroll", {"json": {"code": "x" * 10_000}}),
        ("POST", "/api/v1/enroll", {"json": {"code": "ABCD\u0000EFGH", "device_name": "a\u0000"}}),
        ("POST", "/api/v1/login", {"json": {"user": "Phạm\u0000", "password": "x"}}),
        (
            "POST",
            f"/api/v1/entries/{stored_id}/review",
            {"json": {"decision": "approved", "reason": "\u0000"}, "headers": staff_auth},
        ),
        (
            "PUT",
            "/api/v1/quotas",
            {
                "json": [
                    {
                        "unit_code": "21550-1\u0000",
                        "service": "vneid_level1",
                        "period": "2026",
                        "target": 1,
                    }
                ],
                "headers": staff_auth,
            },
        ),
        ("GET", "/api/v1/units?parent=21550%00", {"headers": auth}),
        ("POST", "/api/v1/enroll", {"json": {"code": "ABCDEFGH", "device_name": "💻" * 500}}),
        ("POST", "/api/v1/login", {"json": {"user": "' OR 1=1 --", "password": "x"}}),
        (
            "POST",
            "/api/v1/login",
            {"json": {"user": "99999999999999999999999999", "password": "x"}},
        ),
        ("POST", "/api/v1/bundles", {"content": b"not a bundle", "headers": staff_auth}),
        (
            "POST",
            "/api/v1/bundles",
            {"content": gzip.compress(b'{"format": "nope"}\n'), "headers": staff_auth},
        ),
        ("POST", "/api/v1/bundles", {"content": b"", "headers": staff_auth}),
        ("POST", "/api/v1/bundles", {"content": b"x", "headers": auth}),
    ]


def test_no_hostile_request_reaches_a_5xx_or_changes_an_entry(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    stored = entry(VILLAGE_A)
    assert client.post("/api/v1/sync/push", json=push_body(stored), headers=volunteer.auth)
    world.staff("coordinator", "21550", "Phạm Thu Hà")
    staff = login(client, "Phạm Thu Hà")["Authorization"].removeprefix("Bearer ")
    before = world.entries()
    last = world.device_row(volunteer.device_id).last_mutation_id
    hostile = TestClient(client.app, raise_server_exceptions=False, headers=HEADERS)
    failures = []
    for method, path, kwargs in _requests(volunteer.token, staff, stored["id"]):
        response = hostile.request(method, path, **kwargs)
        try:
            body = response.json()
            ok = 400 <= response.status_code < 500 and set(body["error"]) >= {"code", "message"}
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            failures.append((method, path[:60], response.status_code, response.text[:200]))
    assert not failures, "\n".join(map(str, failures))
    assert world.entries() == before
    assert world.device_row(volunteer.device_id).last_mutation_id == last


@pytest.mark.parametrize("major", ["0.1", "2.0"])
def test_unknown_major_on_every_route(client: TestClient, major: str) -> None:
    for method, path in [
        ("GET", "/api/v1/healthz"),
        ("POST", "/api/v1/enroll"),
        ("POST", "/api/v1/sync/push"),
        ("GET", "/api/v1/sync/pull"),
        ("GET", "/api/v1/tally"),
        ("GET", "/api/v1/entries"),
        ("POST", "/api/v1/bundles"),
    ]:
        response = client.request(method, path, headers={wire.PROTOCOL_HEADER: major})
        assert response.status_code == 426, (path, response.text)
        assert "1.0" in response.json()["error"]["message"]
