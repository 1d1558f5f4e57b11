"""Inputs that once answered 500 (or a 503 retried forever) get a clear 4xx, on both databases."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import httpx
from api_factories import (
    COMMUNE_A,
    HEADERS,
    VILLAGE_A,
    World,
    assert_error,
    entry,
    login,
    push_body,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fieldkit.domain import wire
from fieldkit.domain.bundle import write_bundle
from fieldkit.store.signing import SigningKey
from sync_server.api.deps import SessionDep
from sync_server.db.engine import writing
from sync_server.db.models import Unit

PUSH = "/api/v1/sync/push"


def test_a_login_name_of_superscript_digits_is_a_wrong_login(
    served_any: tuple[TestClient, World],
) -> None:
    client, _ = served_any
    response = client.post("/api/v1/login", json={"user": "²", "password": "x"})
    assert_error(response, 401, "login_failed")


def test_a_protocol_header_that_is_no_number_is_400(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    for sent in (b"\xb9.0", b"9" * 5000, "²".encode()):
        for method, path in (("GET", "/api/v1/sync/pull"), ("POST", "/api/v1/login")):
            response = client.request(
                method, path, headers={**volunteer.auth, wire.PROTOCOL_HEADER: sent}
            )
            assert_error(response, 400, "protocol_invalid")


def test_an_entries_offset_beyond_any_integer_is_422(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    for offset in (2**63, 2**31):
        response = client.get(
            "/api/v1/entries", params={"unit": COMMUNE_A, "offset": offset}, headers=auth
        )
        assert_error(response, 422, "invalid_request")


def test_a_huge_rev_is_one_rejected_item_and_the_queue_moves_on(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    body = push_body(entry(VILLAGE_A, rev=2**63), entry(VILLAGE_A, rev=2**31), entry(VILLAGE_A))
    response = client.post(PUSH, json=body, headers=volunteer.auth)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [r["status"] for r in answer["results"]] == ["rejected", "rejected", "accepted"]
    assert answer["last_mutation_id"] == 3  # acknowledged: the laptop never sends them again
    assert len(world.entries()) == 1


def test_a_huge_base_rev_or_mutation_id_is_422_not_500(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    for base_rev in (2**31, 2**63):
        body = push_body(entry(VILLAGE_A))
        body["mutations"][0]["base_rev"] = base_rev
        assert_error(client.post(PUSH, json=body, headers=volunteer.auth), 422, "invalid_request")
    body = push_body(entry(VILLAGE_A), first=2**63)
    assert_error(client.post(PUSH, json=body, headers=volunteer.auth), 422, "invalid_request")
    assert world.entries() == []


def _resigned(bundle: bytes, last_line: bytes) -> bytes:
    text = gzip.decompress(bundle)
    body = text[: text.rstrip(b"\n").rfind(b"\n") + 1]
    return gzip.compress(body + last_line + b"\n")


def _deep_header() -> bytes:
    depth = 100_000
    head = b'{"format":' + b"[" * depth + b"]" * depth + b"}\n"
    return gzip.compress(head + b'{"signature":"00"}\n')


def test_bundles_with_a_non_ascii_signature_or_a_deep_header_are_400(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    auth = login(client, "Phạm Thu Hà")
    mutations = [wire.Mutation(mutation_id=1, entry=entry(VILLAGE_A))]
    signer = SigningKey(volunteer.signing_key, True).signer()
    signed = write_bundle(volunteer.device_id, mutations, signer)
    non_ascii = _resigned(signed, '{"signature":"ảảảả"}'.encode())
    response = client.post("/api/v1/bundles", content=non_ascii, headers=auth)
    assert_error(response, 400, "bundle_signature")
    response = client.post("/api/v1/bundles", content=_deep_header(), headers=auth)
    assert_error(response, 400, "bundle_json")
    assert world.entries() == []


def test_a_broken_constraint_is_422_and_not_busy(client: TestClient, world: World) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    def add_unit_twice(session: SessionDep) -> None:
        with writing(session):
            session.add(Unit(code="99", name="Hai lần", level="province"))
            session.flush()
            session.add(Unit(code="99", name="Hai lần", level="province"))
            session.flush()

    app.add_api_route("/api/v1/test-constraint", add_unit_twice, methods=["POST"])
    response = client.post("/api/v1/test-constraint")
    body = assert_error(response, 422, "conflicts_with_stored_data")
    assert "Retry-After" not in response.headers
    assert "again will not help" in body["error"]["message"]


def test_a_held_write_lock_is_still_503_busy(
    client: TestClient, world: World, sqlite_url: str
) -> None:
    world.staff("admin", None, "Quản Trị")
    auth = login(client, "Quản Trị")
    holder = sqlite3.connect(Path(sqlite_url.removeprefix("sqlite:///")), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response: httpx.Response = client.post("/api/v1/logout", headers=auth)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_error(response, 503, "database_busy")
    assert response.headers["Retry-After"] == "1"
    assert client.post("/api/v1/logout", headers=auth).status_code == 204
    assert HEADERS  # every request above carried the protocol header


def test_a_content_length_of_odd_digits_is_400_or_413(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    for sent, status in ((b"\xb2", 400), (b"9" * 5000, 413)):
        response = client.post(
            PUSH, content=b"{}", headers={**volunteer.auth, "Content-Length": sent}
        )
        assert response.status_code == status, response.text
