"""Enrolment (a one-time code becomes a device token) and a cheap reachability check."""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from fieldkit.domain import wire
from fieldkit.domain.digits import ascii_int
from fieldkit.sync.errors import SyncError
from fieldkit.sync.transport import (
    base_headers,
    encode_json,
    error_body,
    make_client,
    tls_context,
)

ENROLL_PATH = f"{wire.API_PREFIX}/enroll"
HEALTH_PATH = f"{wire.API_PREFIX}/healthz"


def enroll(
    server_url: str,
    code: str,
    device_name: str,
    *,
    client: httpx.Client | None = None,
    public_key: str | None = None,
) -> wire.EnrollResponse:
    """Exchange a one-time enrolment code for this device's id and token.

    `public_key` is the public half of the laptop's bundle-signing key pair
    (fieldkit.store.signing), so the server can verify its bundles from the start.
    """
    try:
        request = wire.EnrollRequest(
            code=code.strip(), device_name=device_name[:100], public_key=public_key
        )
    except ValidationError as exc:
        raise SyncError("enroll_invalid", detail="malformed code") from exc
    body, headers = encode_json(request.model_dump_json().encode())
    http = client if client is not None else make_client(server_url)
    url = ENROLL_PATH if str(http.base_url) else server_url.rstrip("/") + ENROLL_PATH
    # Enrolment uses up the code, so a lost reply cannot be resent: one attempt only, and a
    # 429 (too many wrong codes) is told to the volunteer rather than retried.
    try:
        response = http.post(url, content=body, headers=base_headers() | headers)
    except httpx.TransportError as exc:
        raise SyncError("unreachable", detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        if client is None:
            http.close()
    if response.is_success:
        try:
            return wire.EnrollResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise SyncError("server_error", detail="bad enroll response") from exc
    err_code, message = error_body(response)
    detail = f"HTTP {response.status_code} {err_code}: {message}"
    if response.status_code == 426 or "protocol" in err_code:
        raise SyncError("protocol_too_old", detail=detail)
    if response.status_code == 429:
        raise SyncError("enroll_throttled", detail=_wait_text(response))
    if response.status_code in (400, 401, 403, 404, 409, 410, 422):
        raise SyncError("enroll_invalid", detail=detail)
    raise SyncError("server_error", detail=detail)


def _wait_text(response: httpx.Response) -> str:
    """The whole minutes the server asks to wait (its Retry-After is in seconds)."""
    seconds = ascii_int(response.headers.get("Retry-After", "").strip(), max_digits=6)
    if seconds is None:
        return "1"
    return str(max(1, -(-seconds // 60)))


def reachable(server_url: str, timeout: float = 3.0) -> bool:
    """True when the server answers its health check within `timeout` seconds."""
    try:
        response = httpx.get(
            server_url.rstrip("/") + HEALTH_PATH,
            headers=base_headers(),
            timeout=httpx.Timeout(timeout),
            verify=tls_context(),
        )
    except (httpx.HTTPError, ValueError):
        return False
    return response.is_success
