"""The HTTP side of sync: headers, gzip bodies, timeouts and the retry of unknown outcomes."""

from __future__ import annotations

import gzip
import ssl
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from fieldkit.domain import wire
from fieldkit.sync.errors import SyncError
from fieldkit.sync.retry import RetryPolicy

TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
# Bodies smaller than this are sent as they are: gzip would not pay for itself.
GZIP_MIN_BYTES = 512
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
"""Outcomes that say "not done, or not known to be done": the same request goes again."""


@cache
def tls_context() -> ssl.SSLContext:
    """The one verifying TLS context every client of this process shares.

    Building one loads the certificate authorities' bundle, which costs more than the
    health check it would serve (one every few seconds in the app); the context is
    read-only once made, so clients on several threads can share it.
    """
    return httpx.create_ssl_context()


def base_headers(token: str | None = None) -> dict[str, str]:
    """Headers every request carries: protocol version, gzip, and the device token."""
    headers = {
        wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION,
        "Accept-Encoding": "gzip",
        "Accept": "application/json",
        "User-Agent": "fieldkit-sync/1.0",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def make_client(
    server_url: str, token: str | None = None, timeout_seconds: float | None = None
) -> httpx.Client:
    """An httpx client for one server with explicit timeouts and the sync headers.

    `timeout_seconds` (FIELDKIT_HTTP_TIMEOUT_SECONDS) bounds reads and writes; connecting
    and waiting for the pool keep their own shorter limits.
    """
    timeout = TIMEOUT
    if timeout_seconds is not None:
        timeout = httpx.Timeout(
            connect=min(10.0, timeout_seconds),
            read=timeout_seconds,
            write=timeout_seconds,
            pool=min(10.0, timeout_seconds),
        )
    return httpx.Client(
        base_url=server_url.rstrip("/"),
        headers=base_headers(token),
        timeout=timeout,
        follow_redirects=False,
        verify=tls_context(),
    )


def encode_json(payload: bytes) -> tuple[bytes, dict[str, str]]:
    """A JSON body, gzip-compressed when that makes it smaller, with its headers."""
    headers = {"Content-Type": "application/json"}
    if len(payload) >= GZIP_MIN_BYTES:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return payload, headers


@dataclass
class Attempts:
    """Counts of what happened while sending one logical request."""

    attempts: int = 0
    retries: int = 0
    reasons: list[str] = field(default_factory=list)


def error_body(response: httpx.Response) -> tuple[str, str]:
    """The `{"error": {"code", "message"}}` of a response, or the status as a fallback."""
    try:
        body = wire.ErrorBody.model_validate_json(response.content)
    except ValueError:
        return f"http_{response.status_code}", response.text[:200]
    return body.error.code, body.error.message


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return float(value)
    except ValueError:
        return None


def raise_for_refusal(response: httpx.Response) -> None:
    """Turn a definitive refusal (a 4xx that resending cannot fix) into a SyncError."""
    code, message = error_body(response)
    status = response.status_code
    detail = f"HTTP {status} {code}: {message}".strip()
    if status == 426 or "protocol" in code:
        raise SyncError("protocol_too_old", detail=detail)
    if status in (401, 403):
        raise SyncError("revoked", detail=detail, server_code=code)
    raise SyncError("bad_request", detail=detail)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    counts: Attempts | None = None,
) -> httpx.Response:
    """Send one request, resending it unchanged while its outcome is unknown.

    A timeout (ours or the server's 408), a dropped connection, a 5xx or a 429 may or may not
    have been applied, so the very same request goes again after a jittered backoff. Any other
    response is returned.
    """
    counts = counts if counts is not None else Attempts()
    last_error = ""
    for attempt in range(1, policy.max_attempts + 1):
        counts.attempts += 1
        retry_after: float | None = None
        try:
            response = client.request(method, url, content=content, headers=headers, params=params)
        except httpx.TransportError as exc:
            # Connect errors, timeouts, resets, a server that closed without replying.
            last_error = f"{type(exc).__name__}: {exc}"
            unreachable = True
        else:
            if response.status_code not in RETRYABLE_STATUS:
                return response
            last_error = f"HTTP {response.status_code}"
            retry_after = _retry_after(response)
            unreachable = False
        if attempt == policy.max_attempts:
            raise SyncError("unreachable" if unreachable else "server_error", detail=last_error)
        counts.retries += 1
        counts.reasons.append(f"{method} {url}: {last_error}")
        policy.wait(attempt, retry_after)
    raise SyncError("unreachable", detail=last_error)  # pragma: no cover - loop always returns
