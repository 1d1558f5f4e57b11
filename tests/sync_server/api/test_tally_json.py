"""GET /tally makes its JSON on the request's thread: the same body FastAPI would have made."""

from __future__ import annotations

from api_factories import PROVINCE, VILLAGE_A, World, entry, id_number, login, push_body
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from sync_server.services import tally


def test_tally_json_is_the_service_rows_as_fastapi_encodes_them(
    client: TestClient, world: World
) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    body = push_body(
        entry(VILLAGE_A, id_number=id_number()), entry(VILLAGE_A, id_number=id_number())
    )
    pushed = client.post("/api/v1/sync/push", json=body, headers=volunteer.auth)
    assert pushed.status_code == 200, pushed.text
    world.staff("province", PROVINCE, "Sở KH&CN")
    auth = login(client, "Sở KH&CN")
    response = client.get("/api/v1/tally", params={"unit": PROVINCE}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with world.factory() as session:
        rows = tally.read_tally(session, PROVINCE, None, subtree=True)
    assert response.json() == jsonable_encoder(rows)
    assert any(r["achieved"] for r in response.json())


def test_openapi_still_declares_the_tally_rows(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/api/v1/tally"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"]["items"]["$ref"].endswith("/TallyRow")
