"""ASGI middleware: the protocol header check and bounded, gzip-aware request bodies."""

from __future__ import annotations

import zlib

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldkit.domain import wire
from fieldkit.domain.digits import ascii_int, is_ascii_digits
from sync_server.api.errors import error_response

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PROTOCOL_FREE = frozenset({f"{wire.API_PREFIX}/healthz"})
# Routes whose bodies may carry NUL: their items are judged one by one (sync rule 4 in
# docs/architecture.md).
_NUL_PER_ITEM = frozenset({f"{wire.API_PREFIX}/sync/push", f"{wire.API_PREFIX}/bundles"})


class ProtocolMiddleware:
    """Refuse API requests whose `X-Fieldkit-Protocol` major version this server does not speak."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.major = wire.protocol_major(wire.PROTOCOL_VERSION)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(wire.API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        problem = self._problem(scope)
        if problem is not None:
            await problem(scope, receive, send)
            return
        await self.app(scope, receive, _with_protocol_header(send))

    def _problem(self, scope: Scope) -> ASGIApp | None:
        supported = wire.PROTOCOL_VERSION
        sent = Headers(scope=scope).get(wire.PROTOCOL_HEADER)
        if sent is None:
            if scope["method"] in ("GET", "HEAD") and scope["path"] in _PROTOCOL_FREE:
                return None
            return error_response(
                400,
                "protocol_missing",
                f"Send the {wire.PROTOCOL_HEADER} header; this server speaks protocol {supported}.",
            )
        major = wire.protocol_major(sent)
        if major is None:
            return error_response(
                400,
                "protocol_invalid",
                f"{wire.PROTOCOL_HEADER} must look like {supported}, not {sent[:20]!r}.",
            )
        if major != self.major:
            advice = "update fieldkit" if major < (self.major or 0) else "use an older client"
            return error_response(
                426,
                "protocol_unsupported",
                f"This server speaks protocol {supported} (major {self.major}); the client sent "
                f"{sent[:20]}: {advice}.",
                supported=supported,
            )
        return None


def _with_protocol_header(send: Send) -> Send:
    """Stamp every API response with the protocol version the server speaks."""

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((wire.PROTOCOL_HEADER.lower().encode(), wire.PROTOCOL_VERSION.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return sender


class _BodyRefused(Exception):
    """The request body broke a limit; carries the response to send instead."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.response = error_response(status, code, message, headers=headers)


class BodyMiddleware:
    """Read request bodies under a hard byte cap, inflating `Content-Encoding: gzip` under it too.

    The whole body is buffered (API bodies are small) and replayed to the app; a body over the cap
    is refused with 413 as soon as the cap is crossed, so neither a huge upload nor a gzip bomb is
    ever held in memory. A body that has not fully arrived `body_timeout` seconds after its
    headers is answered 408 and its connection closed, so a client dripping bytes cannot hold
    a connection (and its buffer) for ever.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_nul_in_url(scope)
            if scope["method"] not in _BODY_METHODS:
                await self.app(scope, receive, send)
                return
            headers = Headers(scope=scope)
            encoding = self._encoding(headers)
            self._check_length(headers)
            body = await self._read_in_time(receive)
            if body is None:
                return  # the client went away
            if encoding == "gzip":
                body = self._inflate(body)
            if scope["path"] not in _NUL_PER_ITEM and b"\\u0000" in body:
                raise _nul_refused()
        except _BodyRefused as refused:
            await refused.response(scope, receive, send)
            return
        await self.app(_rewritten(scope, len(body)), _replay(body, receive), send)

    def _encoding(self, headers: Headers) -> str:
        encoding = headers.get("content-encoding", "identity").strip().lower() or "identity"
        if encoding not in ("identity", "gzip"):
            raise _BodyRefused(
                415,
                "unsupported_encoding",
                f"Content-Encoding {encoding[:20]!r} is not supported; send gzip or plain bytes.",
            )
        return encoding

    def _check_length(self, headers: Headers) -> None:
        length = headers.get("content-length")
        if length is None:
            return
        text = length.strip()
        if not is_ascii_digits(text):
            raise _BodyRefused(400, "bad_request", "Content-Length must be a whole number.")
        size = ascii_int(text)
        if size is None or size > self.max_body_bytes:
            raise self._too_large()

    def _too_large(self) -> _BodyRefused:
        return _BodyRefused(
            413,
            "body_too_large",
            f"The request body is larger than {self.max_body_bytes:,} bytes; send smaller batches.",
        )

    async def _read_in_time(self, receive: Receive) -> bytes | None:
        try:
            with anyio.fail_after(self.body_timeout):
                return await self._read(receive)
        except TimeoutError:
            raise _BodyRefused(
                408,
                "body_timeout",
                f"The request body did not arrive within {self.body_timeout:g} s; send it again.",
                headers={"Connection": "close"},
            ) from None

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _inflate(self, data: bytes) -> bytes:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        parts: list[bytes] = []
        produced = 0
        pending = data
        try:
            while pending:
                out = inflater.decompress(pending, self.max_body_bytes - produced + 1)
                produced += len(out)
                if produced > self.max_body_bytes:
                    raise self._too_large()
                parts.append(out)
                pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
        except zlib.error as exc:
            raise _BodyRefused(400, "invalid_gzip", f"The gzip body is corrupt: {exc}.") from exc
        if not inflater.eof or inflater.unused_data:
            raise _BodyRefused(
                400, "invalid_gzip", "The gzip body is truncated or has trailing bytes."
            )
        return b"".join(parts)


def _nul_refused() -> _BodyRefused:
    return _BodyRefused(
        400, "invalid_characters", "Text may not contain NUL characters (\\u0000 or %00)."
    )


def _check_nul_in_url(scope: Scope) -> None:
    """NUL in a path or query never means anything good, and PostgreSQL cannot store it."""
    if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
        raise _nul_refused()


def _rewritten(scope: Scope, length: int) -> Scope:
    """The scope with the (inflated) body's true length and no content encoding."""
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name not in (b"content-length", b"content-encoding", b"transfer-encoding")
    ]
    headers.append((b"content-length", str(length).encode()))
    return {**scope, "headers": headers}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands out the buffered body once, then waits for disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
