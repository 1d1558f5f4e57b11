"""Limits on what one HTTP connection may cost the server: header size and time, stray bodies.

uvicorn's C parser (httptools) buffers a request's line and headers without any limit and
waits for them for ever: 30 connections each sending an unfinished 10 MB header took 300 MB,
and connections dripping a byte now and then stayed open indefinitely. This protocol counts
the bytes of a request's head as they arrive and answers 431 as soon as they pass
`max_header_bytes`, and closes a connection whose head is not complete `header_timeout`
seconds after it connected (or, on a kept-alive connection, after the request's first byte).
A connection whose request body is still arriving after the response was sent is closed too
(bodies the app reads have their own timeout: sync_server.api.middleware). Open connections
are capped by uvicorn's own `limit_concurrency`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sync_server.settings import ServerSettings, get_settings


@dataclass(frozen=True)
class HeadLimits:
    """How large a request's line and headers may be, and how long they may take."""

    max_header_bytes: int
    header_timeout: float

    @classmethod
    def of(cls, settings: ServerSettings) -> HeadLimits:
        """The limits a server's settings ask for."""
        return cls(settings.max_header_bytes, settings.header_timeout)


_limits: HeadLimits | None = None


def configure(settings: ServerSettings) -> None:
    """Use these settings' limits for connections made from now on in this process."""
    global _limits
    _limits = HeadLimits.of(settings)


def current_limits() -> HeadLimits:
    """The configured limits; a worker process started by uvicorn reads SYNC_SERVER_*."""
    if _limits is None:
        configure(get_settings())
    assert _limits is not None
    return _limits


def _refusal(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP response that closes the connection, with the API's error body."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on head size and time (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = current_limits()
        self._in_head = True
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._message_done = True
        self._heads_done = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head and self._head_timer is None:
            self._arm_head_timer()  # the next request on a kept-alive connection begins
        in_head, heads_before = self._in_head, self._heads_done
        super().data_received(data)
        if not in_head or self._heads_done != heads_before:
            # Body bytes, or a head that ended in this chunk. What follows a body in the same
            # chunk (a pipelined request's head) is at most one chunk: counted from the next.
            return
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    "headers_too_large",
                    f"The request line and headers may be at most "
                    f"{self._limits.max_header_bytes} bytes.",
                )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_done = False

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._heads_done += 1
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._message_done = True
        self._in_head = True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self._message_done and not self.transport.is_closing():
            self.transport.close()  # the client is still sending a body no one will read

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self._limits.header_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(
                408,
                "Request Timeout",
                "headers_timeout",
                f"The request line and headers must arrive within "
                f"{self._limits.header_timeout:g} s.",
            )

    def _refuse(self, status: int, reason: str, code: str, message: str) -> None:
        self._disarm_head_timer()
        self._in_head = False
        self.transport.write(_refusal(status, reason, code, message))
        self.transport.close()
