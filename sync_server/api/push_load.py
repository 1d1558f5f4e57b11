"""Pushes in flight in one server process, and when to ask a client to reconnect.

`sync-server serve --workers N` shares one listening socket between N processes; each keeps
the connections it accepted. A device's sync client keeps its connection for every batch, so
with a few devices pushing long backlogs one process can end up with most of them: it checks
and writes their batches one after another on one core (the GIL) while another process idles
(measured: 4 devices on 2 workers split 3:1 about half the time, and those runs pushed ~30 %
fewer entries per second than the 2:2 ones). So when a push ends while another push is still
in flight in the same process, its response says `Connection: close`: the client's next batch
comes on a new connection, which the least busy process is the quickest to accept. A single
process (or a quiet one) keeps connections open, which matters on a 2G link.
"""

from __future__ import annotations

import threading
from types import TracebackType

RECONNECT = {"Connection": "close"}


class PushLoad:
    """A context manager around each push; `crowded()` says whether to hand the client on."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._in_flight = 0

    def __enter__(self) -> PushLoad:
        with self._lock:
            self._in_flight += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        """Pushes of this process that have started and not yet ended."""
        with self._lock:
            return self._in_flight

    def crowded(self) -> bool:
        """Another push of this process is in flight, and other processes share the socket."""
        return self.workers > 1 and self.in_flight > 1

    def headers(self) -> dict[str, str] | None:
        """The response headers for a push ending now (call inside the `with`)."""
        return RECONNECT if self.crowded() else None
