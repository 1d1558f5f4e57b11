"""What `/openapi.json` says about errors, the protocol header and bodies FastAPI cannot see.

Routes name the statuses only they answer with `errors(...)`; `install_openapi` adds, to every
operation under /api/v1, what the middleware and the error handlers answer everywhere (a
missing or foreign protocol version, a busy database, a body over the cap, …), the
`X-Fieldkit-Protocol` header, and the error envelope in place of FastAPI's own 422 body.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from fieldkit.domain import wire

_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: protocol header missing or malformed, NUL in the URL, or a malformed body.",
    401: "No token, or a token that is unknown, expired or revoked.",
    403: "The token is valid but may not do this.",
    404: "No such thing.",
    408: "The request body did not arrive in time; the connection is closed.",
    409: "Conflicts with what the server already holds.",
    413: "The request body is larger than the server accepts.",
    415: "The body is not JSON, or its Content-Encoding is not gzip or identity.",
    422: "The request does not match the schema; `details` names each field.",
    426: "The client speaks another major protocol version; `supported` says which.",
    429: "Too many attempts; wait as Retry-After says.",
    503: "The database is busy or unavailable; send the same request again shortly.",
}
_ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/ErrorBody"}

_EVERYWHERE = (400, 426, 503)
"""Answered on any API route: the protocol check, NUL in the URL, the database busy."""
_WITH_BODY = (400, 408, 413, 415)
"""Answered on any POST, PUT, PATCH or DELETE: the body's size, time and encoding."""
_WITH_TOKEN = (401,)
"""Answered on any route that needs a bearer token."""
_BODY_METHODS = frozenset({"post", "put", "patch", "delete"})


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with its description and the error envelope."""
    return {
        status: {"model": wire.ErrorBody, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": _ERROR_SCHEMA_REF}},
    }


def _protocol_header(path: str, method: str) -> dict[str, Any]:
    major = wire.protocol_major(wire.PROTOCOL_VERSION)
    optional = method in ("get", "head") and path == f"{wire.API_PREFIX}/healthz"
    return {
        "name": wire.PROTOCOL_HEADER,
        "in": "header",
        "required": not optional,
        "description": (
            f"The sync protocol version the client speaks; this server speaks "
            f"{wire.PROTOCOL_VERSION} and answers 426 to another major version."
        ),
        "schema": {"type": "string", "pattern": rf"^{major}\.[0-9]+$"},
        "example": wire.PROTOCOL_VERSION,
    }


def _complete(path: str, method: str, operation: dict[str, Any]) -> None:
    """Add the header and every status the app answers on this operation whatever the route."""
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("name") == wire.PROTOCOL_HEADER for p in parameters):
        parameters.append(_protocol_header(path, method))
    statuses = list(_EVERYWHERE)
    if method in _BODY_METHODS:
        statuses += _WITH_BODY
    if operation.get("security"):
        statuses += _WITH_TOKEN
    if "requestBody" in operation or any(p.get("in") in ("query", "path") for p in parameters):
        statuses.append(422)  # the body or a parameter does not match its schema
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), _error_response(status))
    # FastAPI's own 422 body is not what the error handlers send.
    if "422" in responses:
        responses["422"] = _error_response(422)


def install_openapi(app: FastAPI, max_body_bytes: int) -> None:
    """Make `app.openapi()` build the completed schema (once, then cached as FastAPI does)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(_error_components())
        for path, item in schema.get("paths", {}).items():
            if not path.startswith(wire.API_PREFIX + "/"):
                continue
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    _complete(path, method, operation)
        bundle = schema.get("paths", {}).get(f"{wire.API_PREFIX}/bundles", {}).get("post")
        if bundle is not None:
            bundle["requestBody"] = bundle_body(max_body_bytes)
        # The 422s now refer to ErrorBody: FastAPI's own validation bodies are unused.
        for unused in ("HTTPValidationError", "ValidationError"):
            if f"#/components/schemas/{unused}" not in json.dumps(schema["paths"]):
                components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error_components() -> dict[str, Any]:
    """`ErrorBody` and its parts as components (the routes' `errors()` refer to them)."""
    schema = wire.ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "ErrorBody": schema}


def bundle_body(max_body_bytes: int) -> dict[str, Any]:
    """POST /bundles takes the bundle file's bytes as they are, whatever the Content-Type."""
    return {
        "required": True,
        "description": (
            "A sneakernet bundle file exactly as `fieldkit export-bundle` wrote it: gzip'd JSON "
            "lines (a header, one mutation per line, the signature last), at most "
            f"{max_body_bytes:,} bytes. Anything else is answered 400 with a `bundle_…` code."
        ),
        "content": {
            "application/octet-stream": {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "minLength": 1,
                    "maxLength": max_body_bytes,
                }
            },
            "application/gzip": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        },
    }
