"""/openapi.json tells the truth: schemathesis drives the real app from it and checks answers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_factories import (
    COMMUNE_A,
    HEADERS,
    MAX_BODY,
    VILLAGE_A,
    World,
    assert_error,
    entry,
    login,
    push_body,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fieldkit.domain import wire
from sync_server.api.app import create_app
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.settings import get_settings

EXAMPLES = 25
"""Examples per operation and caller: enough to reach every error branch, few enough for CI."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


class Served:
    """One app on one seeded database, and a token of each kind."""

    def __init__(self, app: FastAPI, client: TestClient, world: World) -> None:
        self.app = app
        self.client = client
        self.world = world
        volunteer = world.volunteer(VILLAGE_A)
        self.device = volunteer.auth
        response = client.post(
            "/api/v1/sync/push", json=push_body(entry(VILLAGE_A)), headers=volunteer.auth
        )
        assert response.status_code == 200, response.text
        world.staff("coordinator", COMMUNE_A, "Lê Văn Cường")

    def staff(self) -> dict[str, str]:
        """A fresh staff login (a generated POST /logout may have ended the previous one)."""
        return login(self.client, "Lê Văn Cường")


@pytest.fixture(scope="module")
def served_once(
    migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The app on a fresh SQLite file: units, a volunteer's laptop, an entry, a coordinator."""
    directory = tmp_path_factory.mktemp("openapi")
    path = directory / "server.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    world = World(make_sessionmaker(engine))
    world.units()
    app = create_app(get_settings(database_url=url, data_dir=directory, max_body_bytes=MAX_BODY))
    with TestClient(app, headers=HEADERS) as client:
        yield Served(app, client, world)
    engine.dispose()


def _schema(served: Served) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", served.app)


def _failures(schema: Any, auth: Any) -> list[str]:
    """Run every operation with bounded, derandomized examples; what went wrong, per operation."""
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=auth(), checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every failure is reported, not just the first
            found.append(f"{operation.label}: {exc}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["laptop", "staff", "none"])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema(
    served_once: Served, caller: str
) -> None:
    auth = {
        "laptop": lambda: served_once.device,
        "staff": served_once.staff,
        "none": dict,
    }[caller]
    failures = _failures(_schema(served_once), auth)
    assert not failures, "\n\n".join(failures)


def test_every_api_operation_declares_the_protocol_header_and_its_error_bodies(
    served_once: Served,
) -> None:
    schema = served_once.client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith(wire.API_PREFIX)
        for method, operation in item.items()
    ]
    assert len(operations) >= 11
    for path, method, operation in operations:
        header = [p for p in operation["parameters"] if p["name"] == wire.PROTOCOL_HEADER]
        assert header and header[0]["in"] == "header", (path, method)
        assert header[0]["required"] is (path != f"{wire.API_PREFIX}/healthz"), (path, method)
        for status in ("400", "426", "503"):
            assert status in operation["responses"], (path, method, status)
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_the_schema_says_what_a_bundle_body_is(served_once: Served) -> None:
    schema = served_once.client.get("/openapi.json").json()
    upload = schema["paths"][f"{wire.API_PREFIX}/bundles"]["post"]
    body = upload["requestBody"]
    assert body["required"] is True
    binary = body["content"]["application/octet-stream"]["schema"]
    assert binary == {
        "type": "string",
        "format": "binary",
        "minLength": 1,
        "maxLength": MAX_BODY,
    }
    assert "export-bundle" in body["description"]
    assert {"401", "403", "408", "409", "413"} <= set(upload["responses"])
    assert "422" not in upload["responses"]  # the bytes are judged by the bundle reader


def test_an_entries_offset_past_what_the_database_holds_is_a_422_not_a_500(
    served_once: Served,
) -> None:
    """Found by the schemathesis run: SQLite's OFFSET is 64-bit, PostgreSQL's too."""
    for offset in (2**63, 2**31):
        response = served_once.client.get(
            "/api/v1/entries",
            params={"unit": COMMUNE_A, "offset": offset},
            headers=served_once.staff(),
        )
        assert_error(response, 422, "invalid_request")
    page = served_once.client.get(
        "/api/v1/entries",
        params={"unit": COMMUNE_A, "offset": 2**31 - 1},
        headers=served_once.staff(),
    )
    assert page.status_code == 200, page.text
    assert page.json()["data"] == []
