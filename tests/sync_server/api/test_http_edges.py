"""Cross-cutting HTTP behaviour: protocol header, body caps, gzip both ways, the error envelope."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import httpx
import pytest
from api_factories import MAX_BODY, VILLAGE_A, World, assert_error, entry, push_body
from fastapi.testclient import TestClient

from fieldkit.domain import wire
from sync_server.api.app import create_app
from sync_server.settings import get_settings

PUSH = "/api/v1/sync/push"


def test_healthz_without_protocol_header(client: TestClient) -> None:
    response = _bare(client).get("/api/v1/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["db"] == "ok" and body["protocol"] == wire.PROTOCOL_VERSION
    assert len(body["server_epoch"]) >= 8
    assert response.headers[wire.PROTOCOL_HEADER] == wire.PROTOCOL_VERSION


def _bare(client: TestClient) -> httpx.Client:
    """A client for the same app that sends no protocol header by default."""
    return httpx.Client(transport=client._transport, base_url=str(client.base_url))


def test_missing_protocol_header_is_refused_beyond_healthz(client: TestClient) -> None:
    response = _bare(client).get("/api/v1/sync/pull")
    body = assert_error(response, 400, "protocol_missing")
    assert wire.PROTOCOL_VERSION in body["error"]["message"]


@pytest.mark.parametrize("version", ["2.0", "0.9", "17"])
def test_unknown_protocol_major_is_426_naming_the_supported_version(
    client: TestClient, version: str
) -> None:
    response = client.post(
        PUSH, json=push_body(entry(VILLAGE_A)), headers={wire.PROTOCOL_HEADER: version}
    )
    body = assert_error(response, 426, "protocol_unsupported")
    assert wire.PROTOCOL_VERSION in body["error"]["message"]
    assert body["supported"] == wire.PROTOCOL_VERSION


def test_newer_minor_version_is_accepted(client: TestClient) -> None:
    response = client.get("/api/v1/healthz", headers={wire.PROTOCOL_HEADER: "1.7"})
    assert response.status_code == 200


def test_garbage_protocol_header_is_400(client: TestClient) -> None:
    response = client.get("/api/v1/healthz", headers={wire.PROTOCOL_HEADER: "banana"})
    assert_error(response, 400, "protocol_invalid")


def test_unknown_route_and_method_use_the_envelope(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nope"), 404, "not_found")
    assert_error(client.delete("/api/v1/healthz"), 405, "method_not_allowed")


def test_declared_huge_body_is_413_before_reading(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(
        PUSH,
        content=b"{}",
        headers={**volunteer.auth, "Content-Length": str(10**12)},
    )
    assert_error(response, 413, "body_too_large")


def test_streamed_huge_body_is_413(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)

    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 10_000

    response = client.post(
        PUSH, content=chunks(), headers={**volunteer.auth, "Content-Type": "application/json"}
    )
    assert_error(response, 413, "body_too_large")
    assert world.entries() == []


def test_gzip_bomb_is_413(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    bomb = gzip.compress(b"[" + b" " * 3_000_000 + b"]") * 20  # 60 MB in 20 members, ~60 KB
    assert len(bomb) < MAX_BODY
    response = client.post(
        PUSH,
        content=bomb,
        headers={
            **volunteer.auth,
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )
    assert_error(response, 413, "body_too_large")


@pytest.mark.parametrize(
    "payload",
    [b"\x1f\x8b\x08\x00garbage-not-deflate", gzip.compress(b'{"mutations": []}')[:-6]],
    ids=["corrupt", "truncated"],
)
def test_corrupt_gzip_is_400(client: TestClient, world: World, payload: bytes) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(
        PUSH,
        content=payload,
        headers={**volunteer.auth, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_gzip")


def test_unknown_content_encoding_is_415(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(
        PUSH,
        content=zlib.compress(b"{}"),
        headers={**volunteer.auth, "Content-Encoding": "br", "Content-Type": "application/json"},
    )
    assert_error(response, 415, "unsupported_encoding")


def test_gzip_request_and_response(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(
        PUSH,
        content=gzip.compress(json.dumps({"mutations": []}).encode()),
        headers={**volunteer.auth, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["last_mutation_id"] == 0
    # A big enough response comes back gzip'd when the client accepts it.
    units = client.get("/api/v1/openapi-probe")
    assert units.status_code == 404
    schema = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert schema.headers.get("content-encoding") == "gzip"


def test_malformed_json_is_400(client: TestClient, world: World) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(
        PUSH,
        content=b'{"mutations": [',
        headers={**volunteer.auth, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mutations": "lots"}, "mutations"),
        ({"mutations": [{"mutation_id": "one", "entry": {}}]}, "mutations[0].mutation_id"),
        ({"mutations": [], "sneaky": 1}, "sneaky"),
        ({"mutations": [{"mutation_id": 0, "entry": {}}]}, "mutations[0].mutation_id"),
        ([1, 2, 3], "body"),
    ],
    ids=["not-a-list", "wrong-type", "unknown-field", "zero-id", "array"],
)
def test_validation_errors_are_422_naming_the_field(
    client: TestClient, world: World, body: Any, field: str
) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    response = client.post(PUSH, json=body, headers=volunteer.auth)
    result = assert_error(response, 422, "invalid_request")
    assert field in result["error"]["message"]
    assert any(d["field"] == field for d in result["error"]["details"])


def test_last_resort_handler_is_a_500_envelope(sqlite_url: str, tmp_path: Any) -> None:
    from sync_server.services.init import migrate

    migrate(sqlite_url)
    app = create_app(get_settings(database_url=sqlite_url, data_dir=tmp_path))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("a real bug")

    with TestClient(
        app, raise_server_exceptions=False, headers={"X-Fieldkit-Protocol": "1.0"}
    ) as c:
        response = c.get("/api/v1/boom")
    body = assert_error(response, 500, "internal_error")
    assert "a real bug" not in body["error"]["message"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_json_routes_want_json(client: TestClient, world: World, content_type: str | None) -> None:
    volunteer = world.volunteer(VILLAGE_A)
    headers = volunteer.auth | ({"Content-Type": content_type} if content_type else {})
    response = client.post(PUSH, content=b'{"mutations": []}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in response.json()["error"]["message"]


def test_healthz_on_an_unmigrated_database_is_503(tmp_path: Any) -> None:
    settings = get_settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with TestClient(create_app(settings), headers={wire.PROTOCOL_HEADER: "1.0"}) as c:
        assert_error(c.get("/api/v1/healthz"), 503, "database_unavailable")


def test_openapi_lists_every_route(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert paths >= {
        f"/api/v1/{p}"
        for p in (
            "enroll", "login", "logout", "sync/push", "sync/pull", "tally", "units", "healthz",
            "entries", "entries/{entry_id}/review", "quotas", "bundles",
        )
    }  # fmt: skip
