"""A mutation id sent again: the same content is acknowledged, other content never is."""

from __future__ import annotations

from typing import Any

from api_factories import VILLAGE_A, World, entry, push_body
from fastapi.testclient import TestClient

PUSH = "/api/v1/sync/push"


def _push(client: TestClient, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(PUSH, json=body, headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_other_content_under_a_spent_id_is_rejected_and_not_stored(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    first, other = entry(VILLAGE_A), entry(VILLAGE_A)
    _push(client, volunteer.auth, push_body(first))
    stored = world.entries()

    reused = _push(client, volunteer.auth, push_body(other))
    assert reused["last_mutation_id"] == 1
    [item] = reused["results"]
    assert (item["status"], item["code"]) == ("rejected", "mutation.reused")
    assert item["entry_id"] == other["id"] and "1" in item["message"]
    assert world.entries() == stored

    # The same entry id with changed content under the spent id is not the same mutation.
    changed = _push(client, volunteer.auth, push_body(first | {"full_name": "Tên Khác"}))
    assert changed["results"][0]["code"] == "mutation.reused"
    assert world.entries() == stored


def test_the_same_content_again_is_an_acknowledgement(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    items = [entry(VILLAGE_A), entry(VILLAGE_A)]
    _push(client, volunteer.auth, push_body(*items))
    stored = world.entries()
    again = _push(client, volunteer.auth, push_body(*items))
    assert [r["status"] for r in again["results"]] == ["accepted", "accepted"]
    assert [r["code"] for r in again["results"]] == [None, None]
    assert world.entries() == stored


def test_a_create_and_its_edit_sent_again_are_both_acknowledged(
    client: TestClient, world: World
) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    created = entry(VILLAGE_A)
    edited = created | {"full_name": "Nguyễn Văn Ân", "rev": 2}
    body = {
        "mutations": [
            {"mutation_id": 1, "entry": created},
            {"mutation_id": 2, "entry": edited, "base_rev": 1},
        ]
    }
    _push(client, volunteer.auth, body)
    stored = world.entries()
    again = _push(client, volunteer.auth, body)
    assert [r["status"] for r in again["results"]] == ["accepted", "accepted"]
    assert world.entries() == stored
