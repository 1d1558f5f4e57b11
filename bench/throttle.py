"""A TCP proxy that emulates a slow link: a byte rate and a one-way delay in each direction."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

CHUNK = 512


@dataclass
class Link:
    """One direction of the emulated link, shared by every connection through the proxy."""

    bytes_per_s: float
    delay_s: float
    free_at: float = 0.0
    carried: int = field(default=0)

    def schedule(self, size: int, now: float) -> float:
        """When `size` bytes that arrive now reach the far side (serialisation + delay)."""
        start = max(now, self.free_at)
        self.free_at = start + size / self.bytes_per_s
        self.carried += size
        return self.free_at + self.delay_s


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: Link) -> None:
    """Carry bytes one way through the link, then half-close the far side."""
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def deliver() -> None:
        while (item := await queue.get()) is not None:
            due, data = item
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(CHUNK):
            await queue.put((link.schedule(len(data), loop.time()), data))
    except (ConnectionError, OSError):
        pass
    finally:
        await queue.put(None)
        with suppress(ConnectionError, OSError):
            await sender


class ThrottlingProxy:
    """Listen on loopback and forward to a target through two emulated links."""

    def __init__(self, target_port: int, bits_per_s: float, one_way_delay_s: float) -> None:
        self.target_port = target_port
        self.up = Link(bits_per_s / 8, one_way_delay_s)
        self.down = Link(bits_per_s / 8, one_way_delay_s)
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="throttle", daemon=True)
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self._relay(reader, writer)
        except asyncio.CancelledError:
            writer.close()  # the proxy is stopping

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The TCP handshake costs a round trip on the emulated link too.
        await asyncio.sleep(self.up.delay_s + self.down.delay_s)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pump(reader, up_writer, self.up),
            _pump(up_reader, writer, self.down),
            return_exceptions=True,
        )
        for w in (writer, up_writer):
            w.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._loop.run_forever()

    def start(self) -> int:
        """Start the proxy thread and return the port it listens on."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("throttling proxy did not start")
        return self.port

    def stop(self) -> None:
        """Close the listener and stop the loop."""

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextmanager
def throttled(
    target_port: int, bits_per_s: float, one_way_delay_s: float
) -> Iterator[ThrottlingProxy]:
    """A running ThrottlingProxy in front of target_port for the length of the block."""
    proxy = ThrottlingProxy(target_port, bits_per_s, one_way_delay_s)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def self_check(bits_per_s: float = 50_000, delay_s: float = 0.2) -> dict[str, float]:
    """Measure the proxy against a local echo-ish server: RTT of a tiny exchange, and rate."""
    import socket

    payload = b"x" * 25_000
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(65536):
                if data.endswith(b"!"):
                    conn.sendall(b"ok")
                    break
                if data.endswith(b"?"):
                    conn.sendall(b"k")

    threading.Thread(target=serve, daemon=True).start()
    with (
        throttled(port, bits_per_s, delay_s) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port)) as sock,
    ):
        t0 = time.perf_counter()
        sock.sendall(b"?")
        sock.recv(1)
        rtt = time.perf_counter() - t0
        t1 = time.perf_counter()
        sock.sendall(payload + b"!")
        sock.recv(2)
        upload = time.perf_counter() - t1
    listener.close()
    return {"first_rtt_s": rtt, "upload_25kB_s": upload}
