"""Push and pull over HTTP: acks after commit, idempotent resends, gaps, duplicates, bad items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_factories import (
    COMMUNE_A,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    World,
    assert_error,
    entry,
    id_number,
    push_body,
)
from fastapi.testclient import TestClient

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


def statuses(response: Any) -> list[str]:
    """The per-item statuses of a push response."""
    assert response.status_code == 200, response.text
    return [item["status"] for item in response.json()["results"]]


def test_push_then_pull(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    first, second = entry(VILLAGE_A), entry(VILLAGE_A, service="dvc_account")
    response = client.post(PUSH, json=push_body(first, second), headers=volunteer.auth)
    assert statuses(response) == ["accepted", "accepted"]
    body = response.json()
    assert body["last_mutation_id"] == 2
    assert [r["entry_id"] for r in body["results"]] == [first["id"], second["id"]]
    stored = world.entries()
    assert len(stored) == 2
    assert all(first["id_number"] not in str(row) for row in stored)
    assert world.device_row(volunteer.device_id).last_mutation_id == 2

    pulled = client.get(PULL, params={"cursor": 0, "limit": 1000}, headers=volunteer.auth)
    assert pulled.status_code == 200, pulled.text
    page = pulled.json()
    assert page["last_mutation_id"] == 2 and page["server_epoch"] == body["server_epoch"]
    kinds = {change["kind"] for change in page["changes"]}
    assert "service" in kinds and "tally" in kinds
    again = client.get(PULL, params={"cursor": page["next_cursor"]}, headers=volunteer.auth)
    assert again.json()["changes"] == [] and again.json()["has_more"] is False


def test_pull_pages(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    seen: list[int] = []
    cursor = 0
    while True:
        page = client.get(PULL, params={"cursor": cursor, "limit": 2}, headers=volunteer.auth)
        body = page.json()
        assert len(body["changes"]) <= 2
        seen += [c["seq"] for c in body["changes"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert seen == sorted(set(seen)) and len(seen) >= 5


@pytest.mark.parametrize("params", [{"cursor": -1}, {"limit": 0}, {"limit": 5000}, {"cursor": "x"}])
def test_bad_pull_parameters(client: TestClient, world: World, params: dict[str, Any]) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.get(PULL, params=params, headers=volunteer.auth)
    assert_error(response, 422, "invalid_request")
    assert next(iter(params)) in response.json()["error"]["message"]


def test_resending_the_same_batch_changes_nothing(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    body = push_body(entry(VILLAGE_A), entry(VILLAGE_A))
    first = client.post(PUSH, json=body, headers=volunteer.auth)
    stored = world.entries()
    tally = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=volunteer.auth).json()
    second = client.post(PUSH, json=body, headers=volunteer.auth)
    assert statuses(second) == statuses(first) == ["accepted", "accepted"]
    assert second.json()["last_mutation_id"] == 2
    assert world.entries() == stored
    after = client.get("/api/v1/tally", params={"unit": VILLAGE_A}, headers=volunteer.auth).json()
    assert after == tally


def test_gap_is_409_naming_the_expected_id(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    client.post(PUSH, json=push_body(entry(VILLAGE_A)), headers=volunteer.auth)
    response = client.post(PUSH, json=push_body(entry(VILLAGE_A), first=5), headers=volunteer.auth)
    body = assert_error(response, 409, "mutation_gap")
    assert body["expected"] == 2 and "2" in body["error"]["message"]
    assert len(world.entries()) == 1
    assert world.device_row(volunteer.device_id).last_mutation_id == 1


def test_same_citizen_in_another_commune_is_a_duplicate_since_a_day(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    first_volunteer = world.volunteer(VILLAGE_A, "Trần Thị Bình")
    second_volunteer = world.volunteer(VILLAGE_B, "Đỗ Văn Dũng")
    number = id_number()
    assisted = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    first = client.post(
        PUSH,
        json=push_body(entry(VILLAGE_A, id_number=number, assisted_at=assisted.isoformat())),
        headers=first_volunteer.auth,
    )
    assert statuses(first) == ["accepted"]
    later = (assisted + timedelta(days=2)).isoformat()
    second = client.post(
        PUSH,
        json=push_body(entry(VILLAGE_B, id_number=number, assisted_at=later)),
        headers=second_volunteer.auth,
    )
    assert statuses(second) == ["duplicate"]
    item = second.json()["results"][0]
    # Only that the citizen is counted, and since which day: no entry id, village or time.
    assert item["duplicate_of"]["village"] == "" and item["duplicate_of"]["entry_id"] is None
    assert item["duplicate_of"]["assisted_at"] == "2026-03-05T00:00:00+07:00"
    assert "Thôn 1" not in item["message"] and "05/03/2026" in item["message"]
    assert (
        VILLAGE_A not in second.text and first.json()["results"][0]["entry_id"] not in second.text
    )
    assert len(world.entries()) == 2


def _bad_items() -> dict[str, tuple[dict[str, Any], str]]:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return {
        "invalid-id-number": (entry(VILLAGE_A, id_number="12345"), "id_number.length"),
        "letters-in-id": (entry(VILLAGE_A, id_number="05209000123X"), "id_number.characters"),
        "future-date": (entry(VILLAGE_A, assisted_at=future), "assisted_at.future"),
        "naive-date": (entry(VILLAGE_A, assisted_at="2026-01-01T10:00:00"), "entry.invalid"),
        "note-with-id": (entry(VILLAGE_A, note="CCCD 052090123456 nhé"), "note.id_number"),
        "note-with-nul": (entry(VILLAGE_A, note="ghi\u0000chú"), "note.characters"),
        "village-with-nul": (entry(f"{VILLAGE_A}\u0000"), "entry.invalid"),
        "key-with-nul": (entry(VILLAGE_A) | {"x\u0000": 1}, "entry.invalid"),
        "no-consent": (entry(VILLAGE_A, consent=False), "consent.required"),
        "unknown-field": (entry(VILLAGE_A, password="hunter2"), "entry.invalid"),
        "wrong-type": (entry(VILLAGE_A, birth_year="nineteen"), "entry.invalid"),
        "other-commune": (entry(VILLAGE_B), "village.not_yours"),
        "unknown-village": (entry("21550-99"), "village.unknown"),
        "unknown-service": (entry(VILLAGE_A, service="mining"), "service.unknown"),
        "not-a-uuid": (entry(VILLAGE_A, id="1; DROP TABLE entries"), "entry.invalid"),
    }


@pytest.mark.parametrize("case", list(_bad_items()))
def test_bad_items_are_rejected_one_by_one(client: TestClient, world: World, case: str) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    good_before = entry(VILLAGE_A)
    client.post(PUSH, json=push_body(good_before), headers=volunteer.auth)
    stored = world.entries()
    bad, code = _bad_items()[case]
    good = entry(VILLAGE_A2)
    response = client.post(PUSH, json=push_body(bad, good, first=2), headers=volunteer.auth)
    # The team of VILLAGE_A does not own VILLAGE_A2 either: both are judged per item.
    results = response.json()["results"]
    assert response.status_code == 200, response.text
    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == code, results[0]
    assert results[0]["message"]
    assert results[1]["code"] == "village.not_yours"
    assert response.json()["last_mutation_id"] == 3  # a rejection never blocks the queue
    assert world.entries() == stored


def test_volunteer_cannot_read_another_communes_tally(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    assert client.get(
        "/api/v1/tally", params={"unit": COMMUNE_A}, headers=volunteer.auth
    ).is_success
    response = client.get("/api/v1/tally", params={"unit": VILLAGE_B}, headers=volunteer.auth)
    assert_error(response, 403, "forbidden")
    assert VILLAGE_B in response.json()["error"]["message"]
    response = client.get("/api/v1/tally", params={"unit": "52"}, headers=volunteer.auth)
    assert_error(response, 403, "forbidden")


def test_volunteer_cannot_read_entries(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.get("/api/v1/entries", params={"unit": VILLAGE_A}, headers=volunteer.auth)
    assert_error(response, 403, "forbidden")


def test_nul_characters_are_rejected_per_item(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    good = entry(VILLAGE_A)
    batch = push_body(
        entry(VILLAGE_A, note="ghi\u0000chú"),
        entry(f"{VILLAGE_A}\u0000"),
        entry(VILLAGE_A) | {"x\u0000": 1},
        entry(VILLAGE_A, full_name="An\u0000"),
        good,
    )
    response = client.post(PUSH, json=batch, headers=volunteer.auth)
    assert statuses(response) == ["rejected"] * 4 + ["accepted"]
    assert response.json()["results"][0]["code"] == "note.characters"
    assert [row[0] for row in world.entries()] == [good["id"]]
