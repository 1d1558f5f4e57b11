"""The transport against real sockets: unknown outcomes are resent unchanged, refusals are not."""

from __future__ import annotations

import gzip
import json
import threading
import unicodedata
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import sync_chaos
from sync_chaos import Fault, FaultProxy

from fieldkit.sync import SYNC_MESSAGES, RetryPolicy, SyncError, reachable
from fieldkit.sync.transport import encode_json, raise_for_refusal, send


class Upstream(ThreadingHTTPServer):
    """A plain HTTP server that records request bodies and answers with a set status."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[bytes] = []
        self.status = 200
        self.reply: dict[str, object] = {"ok": True}

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: Upstream

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.bodies.append(body)
        payload = json.dumps(self.server.reply).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _answer
    do_GET = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _policy(sleeps: list[float], attempts: int = 5) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, base_delay=0.5, max_delay=4.0, sleep=sleeps.append)


def _post(proxy: FaultProxy, policy: RetryPolicy, timeout: float = 5.0) -> httpx.Response:
    body, headers = encode_json(json.dumps({"mutations": list(range(400))}).encode())
    with httpx.Client(base_url=proxy.url, timeout=timeout) as client:
        return send(
            client, "POST", "/api/v1/sync/push", policy=policy, content=body, headers=headers
        )


ProxyTo = Callable[[int], FaultProxy]


@pytest.mark.parametrize("fault", [Fault.STATUS_503, Fault.STATUS_408])
def test_503_or_408_then_success_backs_off_and_server_sees_one_request(
    upstream: Upstream, proxy_to: ProxyTo, fault: Fault
) -> None:
    proxy = proxy_to(upstream.port)
    proxy.inject(fault, times=2)
    sleeps: list[float] = []
    response = _post(proxy, _policy(sleeps))
    assert response.status_code == 200
    assert len(sleeps) == 2
    assert all(0 <= s <= 4.0 for s in sleeps)
    assert len(upstream.bodies) == 1


@pytest.mark.parametrize("fault", [Fault.LOST_ACK, Fault.DROP_MID_BODY, Fault.RESET_BEFORE])
def test_lost_connection_resends_the_identical_body(
    upstream: Upstream, proxy_to: ProxyTo, fault: Fault
) -> None:
    proxy = proxy_to(upstream.port)
    proxy.inject(fault)
    sleeps: list[float] = []
    response = _post(proxy, _policy(sleeps))
    assert response.status_code == 200
    assert len(sleeps) == 1
    seen = proxy.requests()
    assert [s.fault for s in seen] == [fault, None]
    # The resend is byte-for-byte the same request.
    assert seen[-1].body == upstream.bodies[-1]
    if fault is Fault.LOST_ACK:
        assert upstream.bodies[0] == upstream.bodies[1]


def test_read_timeout_is_an_unknown_outcome(upstream: Upstream, proxy_to: ProxyTo) -> None:
    proxy = proxy_to(upstream.port)
    proxy.hold_seconds = 5.0
    proxy.inject(Fault.SLOW_REPLY)
    sleeps: list[float] = []
    response = _post(proxy, _policy(sleeps), timeout=0.5)
    assert response.status_code == 200
    assert len(upstream.bodies) == 2  # the server got it twice; idempotency must cope
    assert upstream.bodies[0] == upstream.bodies[1]


def test_persistent_5xx_gives_up_with_server_error(upstream: Upstream, proxy_to: ProxyTo) -> None:
    upstream.status = 502
    proxy = proxy_to(upstream.port)
    sleeps: list[float] = []
    with pytest.raises(SyncError) as caught:
        _post(proxy, _policy(sleeps, attempts=3))
    assert caught.value.code == "server_error"
    assert len(sleeps) == 2
    assert len(upstream.bodies) == 3


def test_refused_connection_is_unreachable(upstream: Upstream) -> None:
    port = upstream.port
    upstream.shutdown()
    upstream.server_close()
    sleeps: list[float] = []
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as client,
        pytest.raises(SyncError) as caught,
    ):
        send(client, "GET", "/x", policy=_policy(sleeps, attempts=2))
    assert caught.value.code == "unreachable"
    assert "Dữ liệu vẫn an toàn trên máy" in caught.value.message("vi")
    assert "safe" in caught.value.message("en")
    assert not reachable(f"http://127.0.0.1:{port}", timeout=1.0)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (426, "protocol_unsupported", "protocol_too_old"),
        (400, "protocol_missing", "protocol_too_old"),
        (401, "device_revoked", "revoked"),
        (403, "forbidden", "revoked"),
        (422, "invalid_request", "bad_request"),
    ],
)
def test_refusals_are_classified_and_not_retried(
    upstream: Upstream, proxy_to: ProxyTo, status: int, code: str, expected: str
) -> None:
    upstream.status = status
    upstream.reply = {"error": {"code": code, "message": "nope"}}
    proxy = proxy_to(upstream.port)
    sleeps: list[float] = []
    response = _post(proxy, _policy(sleeps))
    assert sleeps == []
    with pytest.raises(SyncError) as caught:
        raise_for_refusal(response)
    assert caught.value.code == expected


def test_garbage_error_body_still_classified(upstream: Upstream, proxy_to: ProxyTo) -> None:
    upstream.status = 401
    upstream.reply = {"unexpected": ["shape"]}
    response = _post(proxy_to(upstream.port), _policy([]))
    with pytest.raises(SyncError) as caught:
        raise_for_refusal(response)
    assert caught.value.code == "revoked"


def test_full_jitter_stays_under_the_cap() -> None:
    top = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: 1.0)
    assert [top.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    bottom = RetryPolicy(jitter=lambda: 0.0)
    assert bottom.delay(4) == 0.0
    assert bottom.delay(4, retry_after=2.0) == 2.0
    assert RetryPolicy(max_delay=5.0).delay(1, retry_after=3600) == 5.0


def test_small_bodies_stay_plain_big_ones_are_gzipped() -> None:
    small, small_headers = encode_json(b"{}")
    assert small == b"{}" and "Content-Encoding" not in small_headers
    payload = json.dumps({"x": ["abc"] * 500}).encode()
    big, big_headers = encode_json(payload)
    assert big_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(big) == payload and len(big) < len(payload) // 5


def test_messages_are_nfc_vietnamese_and_english() -> None:
    for code, (vi, en) in SYNC_MESSAGES.items():
        assert unicodedata.normalize("NFC", vi) == vi, code
        assert vi != en
    error = SyncError("gap", expected=42)
    assert "42" in error.message("vi") and "42" in error.message("en")
    assert sync_chaos.Fault("lost_ack") is Fault.LOST_ACK


def test_the_shared_tls_context_verifies_as_httpx_default_does() -> None:
    """Every client shares one context (building one per health check cost ~35 ms of CPU);
    sharing must not loosen it: it checks certificates and host names like httpx's own."""
    import ssl

    from fieldkit.sync.transport import make_client, tls_context

    shared = tls_context()
    plain = httpx.create_ssl_context()
    assert tls_context() is shared
    assert shared.verify_mode == plain.verify_mode == ssl.CERT_REQUIRED
    assert shared.check_hostname and plain.check_hostname
    assert shared.minimum_version == plain.minimum_version
    assert len(shared.get_ca_certs()) == len(plain.get_ca_certs()) > 0
    with make_client("https://example.invalid") as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._ssl_context is shared
