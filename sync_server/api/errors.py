"""Every API error is `{"error": {"code", "message"}}`; these handlers make sure of it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync_server.services.access import AccessError

log = logging.getLogger("sync_server.api")

# Codes for plain HTTP errors raised by the framework itself (unknown route, wrong method, …).
_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    426: "protocol_unsupported",
    429: "too_many_requests",
}


class ApiError(Exception):
    """A client-facing error with a status, a stable code, a message and optional extra fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The one error envelope; extra fields (e.g. `expected`) sit beside `error`."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    """`("body", "mutations", 0, "mutation_id")` → `mutations[0].mutation_id`."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def describe_validation(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """A readable one-line message naming the fields, plus a per-field list."""
    details = []
    for item in errors:
        loc = item.get("loc", ())
        field = _field_name(loc)
        where = str(loc[0]) if loc else "body"
        message = str(item.get("msg", "invalid"))
        details.append({"field": field, "in": where, "message": message})
    shown = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    if len(details) > 5:
        shown += f"; and {len(details) - 5} more"
    return shown or "invalid request", details


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers, **exc.extra)


async def _access_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AccessError)
    return error_response(exc.status, exc.code, exc.message)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(item.get("type") == "json_invalid" for item in errors):
        ctx = errors[0].get("ctx") or {}
        position = errors[0].get("loc", ("body", "?"))[-1]
        reason = ctx.get("error", "malformed JSON")
        return error_response(
            400, "invalid_json", f"The body is not valid JSON: {reason} (at character {position})."
        )
    if any(
        tuple(item.get("loc", ())) == ("body",) and isinstance(item.get("input"), bytes)
        for item in errors
    ):
        sent = request.headers.get("content-type", "none")[:60]
        return error_response(
            415,
            "unsupported_media_type",
            f"Send the body as JSON with Content-Type: application/json (got {sent}).",
        )
    message, details = describe_validation(errors)
    return JSONResponse(
        {"error": {"code": "invalid_request", "message": message, "details": details}},
        status_code=422,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No such endpoint: {request.method} {request.url.path}"
    return error_response(exc.status_code, code, detail, headers=exc.headers)


async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
    # Lock timeouts and lost races are transient: the client resends the same batch.
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        503,
        "database_busy",
        "The database is busy; send the same request again shortly.",
        headers={"Retry-After": "1"},
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal_error", "The server hit an unexpected error; nothing was saved."
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure to the one error envelope."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(AccessError, _access_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(IntegrityError, _database_busy)
    app.add_exception_handler(PoolTimeout, _database_busy)
    app.add_exception_handler(Exception, _internal_error)
