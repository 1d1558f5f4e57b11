"""Sneakernet bundles uploaded by a coordinator: verified, ingested once, refused when forged."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from api_factories import (
    COMMUNE_A,
    COMMUNE_B,
    VILLAGE_A,
    Volunteer,
    World,
    assert_error,
    entry,
    login,
    push_body,
)
from fastapi.testclient import TestClient

from fieldkit.domain import wire
from fieldkit.domain.bundle import write_bundle
from fieldkit.store.signing import SigningKey
from sync_server.api.runtime import runtime_of

BUNDLES = "/api/v1/bundles"
OCTETS = {"Content-Type": "application/octet-stream"}


def _bundle(volunteer: Volunteer, *entries: dict[str, Any], first: int = 1) -> bytes:
    mutations = [
        wire.Mutation.model_validate(m) for m in push_body(*entries, first=first)["mutations"]
    ]
    return write_bundle(
        volunteer.device_id, mutations, SigningKey(volunteer.signing_key, True).signer()
    )


def _coordinator(client: TestClient, world: World, commune: str = COMMUNE_A) -> dict[str, str]:
    name = f"Điều phối {commune}"
    world.staff("coordinator", commune, name)
    return login(client, name) | OCTETS


def test_import_twice_adds_nothing_the_second_time(served_any: tuple[TestClient, World]) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    data = _bundle(volunteer, entry(VILLAGE_A), entry(VILLAGE_A), entry(VILLAGE_A))
    auth = _coordinator(client, world)
    first = client.post(BUNDLES, content=data, headers=auth)
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()["results"]] == ["accepted"] * 3
    stored = world.entries()
    second = client.post(BUNDLES, content=data, headers=auth)
    assert second.status_code == 200
    assert second.json()["last_mutation_id"] == 3
    assert world.entries() == stored and len(stored) == 3


def test_bundle_after_a_partial_push_applies_only_the_rest(
    client: TestClient, world: World
) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    items = [entry(VILLAGE_A) for _ in range(4)]
    pushed = client.post("/api/v1/sync/push", json=push_body(*items[:2]), headers=volunteer.auth)
    assert pushed.json()["last_mutation_id"] == 2
    response = client.post(
        BUNDLES, content=_bundle(volunteer, *items), headers=_coordinator(client, world)
    )
    assert response.json()["last_mutation_id"] == 4
    assert len(world.entries()) == 4


def test_the_cli_path_imports_without_an_importer(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    pushing = runtime_of(client.app).pushing  # type: ignore[arg-type]
    with world.factory() as session:
        result = pushing.import_bundle(session, _bundle(volunteer, entry(VILLAGE_A)))
    assert result.last_mutation_id == 1 and len(world.entries()) == 1


def _tampered(volunteer: Volunteer) -> bytes:
    text = gzip.decompress(_bundle(volunteer, entry(VILLAGE_A, full_name="Nguyễn Văn An")))
    return gzip.compress(text.replace("Nguyễn Văn An".encode(), "Nguyễn Văn Ăn".encode()))


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_tampered, "bundle_signature"),
        (lambda v: b"plain text, not gzip", "bundle_gzip"),
        (lambda v: gzip.compress(b'{"format": "other"}\n{"signature": "00"}\n'), "bundle_format"),
        (lambda v: _bundle(v, entry(VILLAGE_A))[:-10], "bundle_gzip"),
        (lambda v: gzip.compress(b"\n" * 2_000_000) * 40, "bundle_too_large"),
    ],
    ids=["tampered", "not-gzip", "not-a-bundle", "truncated", "bomb"],
)
def test_bad_bundles_are_400(client: TestClient, world: World, make: Any, code: str) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(BUNDLES, content=make(volunteer), headers=_coordinator(client, world))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in (code, "bundle_truncated")
    assert world.entries() == []


def test_revoked_device_bundle_is_refused(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    data = _bundle(volunteer, entry(VILLAGE_A))
    world.revoke(volunteer.device_id)
    response = client.post(BUNDLES, content=data, headers=_coordinator(client, world))
    assert_error(response, 400, "bundle_unknown_device")


def test_only_the_devices_own_commune_imports(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    data = _bundle(volunteer, entry(VILLAGE_A))
    other = client.post(BUNDLES, content=data, headers=_coordinator(client, world, COMMUNE_B))
    assert_error(other, 403, "forbidden")
    by_volunteer = client.post(BUNDLES, content=data, headers=volunteer.auth | OCTETS)
    assert_error(by_volunteer, 403, "forbidden")
    assert world.entries() == []


def test_gap_in_a_bundle_is_409(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(
        BUNDLES,
        content=_bundle(volunteer, entry(VILLAGE_A), first=3),
        headers=_coordinator(client, world),
    )
    body = assert_error(response, 409, "mutation_gap")
    assert body["expected"] == 1
