"""Test machinery for sync: a fault-injecting HTTP proxy and an in-process uvicorn server.

Loaded by path (as module `sync_chaos`) from the conftest files of tests/fieldkit/sync and
tests/e2e, because pytest's importlib mode does not put test directories on sys.path.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fieldkit.store import Store


class Fault(StrEnum):
    """What the proxy does to one request."""

    LOST_ACK = "lost_ack"  # forward, let the server answer, drop the answer (reset)
    DROP_MID_BODY = "drop_mid_body"  # forward half the body, then reset both sides
    RESET_BEFORE = "reset_before"  # read the request, reset without forwarding
    STATUS_503 = "status_503"  # answer 503 without forwarding
    STATUS_429 = "status_429"  # answer 429 without forwarding
    STATUS_408 = "status_408"  # answer 408 (the server's body timeout) without forwarding
    SLOW_REPLY = "slow_reply"  # forward, then hold the answer until the client gives up
    GARBAGE_200 = "garbage_200"  # answer 200 with a body that is not the expected JSON
    OLD_PROTOCOL = "old_protocol"  # forward with the protocol header of an old client
    HOLD_REPLY = "hold_reply"  # forward, signal `holding`, wait for `release`, then reset


@dataclass
class Rule:
    """Apply `fault` to `times` requests whose path contains `path`, after letting `after` by."""

    fault: Fault
    path: str
    times: int
    after: int = 0


@dataclass
class Seen:
    """One request as the proxy saw it (body decompressed when gzip)."""

    method: str
    path: str
    body: bytes
    fault: Fault | None


def _recv_until(conn: socket.socket, buf: bytearray, marker: bytes) -> int:
    while (at := buf.find(marker)) < 0:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed before headers")
        buf.extend(chunk)
    return at


def _recv_exact(conn: socket.socket, buf: bytearray, size: int) -> None:
    while len(buf) < size:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        buf.extend(chunk)


def _reset(conn: socket.socket) -> None:
    """Close with a TCP RST, like a dropped mobile link."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@dataclass
class FaultProxy:
    """A real TCP proxy in front of an HTTP server that can lose requests and replies."""

    upstream_port: int
    upstream_host: str = "127.0.0.1"
    rules: deque[Rule] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    hold_seconds: float = 3.0
    upstream_ports: list[int] = field(default_factory=list)
    """When set, connections go round-robin to these ports (several servers, one database)."""
    _turn: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _sock: socket.socket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FaultProxy:
        """Listen on a free loopback port."""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(
        self, fault: Fault, path: str = "/sync/push", times: int = 1, after: int = 0
    ) -> None:
        """Queue a fault for matching requests, after letting `after` of them through."""
        with self._lock:
            self.rules.append(Rule(fault, path, times, after))

    def clear(self) -> None:
        """Forget queued faults."""
        with self._lock:
            self.rules.clear()

    def requests(self, path: str = "/sync/push") -> list[Seen]:
        """Requests seen whose path contains `path`."""
        with self._lock:
            return [s for s in self.seen if path in s.path]

    def pushed_ids(self, index: int) -> list[int]:
        """Mutation ids carried by the index-th push request seen."""
        body = json.loads(self.requests()[index].body)
        return [int(m["mutation_id"]) for m in body["mutations"]]

    def close(self) -> None:
        """Stop accepting."""
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            for rule in self.rules:
                if rule.path in path and rule.after > 0:
                    rule.after -= 1
                    return None
                if rule.path in path and rule.times > 0:
                    rule.times -= 1
                    fault = rule.fault
                    if rule.times == 0:
                        self.rules.remove(rule)
                    return fault
        return None

    def _upstream(self) -> socket.socket:
        """A connection to the upstream server (round-robin when several are set)."""
        with self._lock:
            ports = list(self.upstream_ports) or [self.upstream_port]
            port = ports[self._turn % len(ports)]
            self._turn += 1
        return socket.create_connection((self.upstream_host, port))

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._one(conn)
        except OSError:
            _reset(conn)

    def _one(self, conn: socket.socket) -> None:
        buf = bytearray()
        end = _recv_until(conn, buf, b"\r\n\r\n")
        head = bytes(buf[:end]).decode("latin-1").split("\r\n")
        method, path, _ = head[0].split(" ", 2)
        headers = [h for h in head[1:] if h]
        length = 0
        gz = False
        kept = []
        for line in headers:
            name, _, value = line.partition(":")
            low = name.strip().lower()
            if low == "content-length":
                length = int(value.strip())
            if low == "content-encoding" and "gzip" in value:
                gz = True
            if low not in ("connection", "keep-alive"):
                kept.append(line)
        kept.append("Connection: close")
        fault = self._take(path)
        if fault is Fault.OLD_PROTOCOL:
            kept = [
                "X-Fieldkit-Protocol: 0.9" if h.lower().startswith("x-fieldkit-protocol:") else h
                for h in kept
            ]
        new_head = ("\r\n".join([head[0], *kept]) + "\r\n\r\n").encode("latin-1")
        if fault is Fault.DROP_MID_BODY:
            want = end + 4 + max(1, length // 2)
            _recv_exact(conn, buf, min(want, end + 4 + length))
            part = bytes(buf[end + 4 : want])
            self._record(method, path, b"", fault)
            up = self._upstream()
            up.sendall(new_head + part)
            _reset(up)
            _reset(conn)
            return
        _recv_exact(conn, buf, end + 4 + length)
        body = bytes(buf[end + 4 : end + 4 + length])
        self._record(method, path, gzip.decompress(body) if gz and body else body, fault)
        if fault is Fault.RESET_BEFORE:
            _reset(conn)
            return
        if fault in (Fault.STATUS_503, Fault.STATUS_429, Fault.STATUS_408, Fault.GARBAGE_200):
            status = {
                Fault.STATUS_503: "503 Service Unavailable",
                Fault.STATUS_429: "429 Too Many Requests",
                Fault.STATUS_408: "408 Request Timeout",
                Fault.GARBAGE_200: "200 OK",
            }[fault]
            payload = b'{"error": {"code": "busy", "message": "try later"}}'
            if fault is Fault.GARBAGE_200:
                payload = b'{"last_mutation_id": "lots", "results": "<html>captive portal"}'
            conn.sendall(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nRetry-After: 0\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            conn.close()
            return
        up = self._upstream()
        up.sendall(new_head + body)
        reply = bytearray()
        while chunk := up.recv(65536):
            reply.extend(chunk)
        up.close()
        if fault is Fault.LOST_ACK:
            _reset(conn)
            return
        if fault is Fault.SLOW_REPLY:
            self._stop.wait(self.hold_seconds)
            _reset(conn)
            return
        if fault is Fault.HOLD_REPLY:
            self.holding.set()
            self.release.wait(60)
            _reset(conn)
            return
        conn.sendall(bytes(reply))
        conn.close()

    def _record(self, method: str, path: str, body: bytes, fault: Fault | None) -> None:
        with self._lock:
            self.seen.append(Seen(method, path, body, fault))


class ServerThread:
    """A real uvicorn serving an ASGI app on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="auto", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), daemon=True)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        """Start and wait until uvicorn says it is serving."""
        self.thread.start()
        idle = threading.Event()
        while not self.server.started and self.thread.is_alive():
            idle.wait(0.01)  # uvicorn offers no startup event to wait on
        if not self.server.started:
            raise RuntimeError("uvicorn did not start")
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


# -- a server world: units, volunteers and enrolled laptops -------------------------------------

PROVINCE = "52"
COMMUNE_A = "21550"
COMMUNE_B = "21553"
VILLAGE_A = "21550-1"
VILLAGE_A2 = "21550-2"
VILLAGE_B = "21553-1"
VILLAGE_NAMES = {VILLAGE_A: "Thôn An Lộc", VILLAGE_A2: "Thôn Hòa Bình", VILLAGE_B: "Ấp Tây Sơn"}


def migrate_world(url: str) -> None:
    """Migrate a server database and add one province, two communes and three villages."""
    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.services import units
    from sync_server.services.init import migrate

    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            units.upsert_unit(session, PROVINCE, "Gia Lai", "province")
            units.upsert_unit(session, COMMUNE_A, "Xã An Nhơn", "commune", parent_code=PROVINCE)
            units.upsert_unit(session, COMMUNE_B, "Xã Tây Sơn", "commune", parent_code=PROVINCE)
            for code, name in VILLAGE_NAMES.items():
                units.upsert_unit(session, code, name, "village", parent_code=code.split("-")[0])
            session.commit()
    finally:
        engine.dispose()


def world_from_template(template: Path, target: Path) -> str:
    """A server database at `target` copied from a migrated world (migrating is slow)."""
    if not template.exists():
        migrate_world(f"sqlite:///{template}")
    backup_sqlite(f"sqlite:///{template}", target)
    target.chmod(0o600)
    return f"sqlite:///{target}"


def add_volunteer(url: str, village: str, name: str) -> str:
    """A volunteer of a village (H2's users service); returns the one-time enrollment code."""
    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.services import users

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            added = users.add_user(session, "volunteer", village, name)
            session.commit()
    finally:
        engine.dispose()
    assert added.code is not None
    return added.code


# Each process (the test and every laptop worker it starts) numbers its citizens from its own
# block, so two laptops never bring the same citizen by accident: the first success the server
# receives counts, and an accidental shared citizen would turn the later laptop's into duplicates.
_serial = iter(range((os.getpid() % 997) * 1000 + 1, 10**7))


def id_number(birth_year: int = 1995, female: bool = False) -> str:
    """A distinct valid-looking identity number (prefix 052, right century/sex digit)."""
    digit = (0 if birth_year < 2000 else 2) + (1 if female else 0)
    return f"052{digit}{birth_year % 100:02d}{next(_serial) % 10**6:06d}"


def make_entry(village: str, **fields: Any) -> Any:
    """A valid Entry for a village; override any field."""
    from datetime import UTC, datetime, timedelta

    from fieldkit.domain import Entry, new_entry_id

    data: dict[str, Any] = {
        "id": new_entry_id(),
        "village": village,
        "service": "vneid_level1",
        "outcome": "success",
        "reasons": [],
        "assisted_at": datetime.now(UTC) - timedelta(hours=1),
        "full_name": "Nguyễn Văn An",
        "id_number": id_number(),
        "birth_year": 1995,
        "sex": "male",
        "phone": "0912345678",
        "consent": True,
    }
    data.update(fields)
    return Entry.model_validate(data)


# -- a served world ----------------------------------------------------------------------------


@dataclass
class Served:
    """A migrated server database behind a real uvicorn on a loopback port."""

    db_url: str
    url: str
    home: Path
    stores: list[Store] = field(default_factory=list)

    def laptop(
        self, village: str, name: str = "Trần Thị Bình", server_url: str | None = None
    ) -> Store:
        """A volunteer of the village, enrolled over HTTP, with a fresh laptop profile."""
        from fieldkit.store import create_profile
        from fieldkit.sync import enroll

        code = add_volunteer(self.db_url, village, name)
        url = server_url or self.url
        enrolled = enroll(url, code, f"laptop {name}")
        home = self.home / f"home-{enrolled.device_id}"
        store = create_profile(home, enrolled, url)
        self.stores.append(store)
        return store

    def session(self) -> Session:
        """A session on the server database (the caller closes it)."""
        from sqlalchemy.orm import Session

        from sync_server.db.engine import make_engine

        return Session(make_engine(self.db_url))


# -- what the server holds ------------------------------------------------------------------------


def server_entries(url: str, device_id: str | None = None) -> dict[str, tuple[str, int, bool]]:
    """Every stored entry id (of one device, if given) -> (device id, rev, counted)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.db.models import Entry as EntryRow

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            query = select(EntryRow.id, EntryRow.device_id, EntryRow.rev, EntryRow.counted)
            if device_id is not None:
                query = query.where(EntryRow.device_id == device_id)
            return {r[0]: (r[1], r[2], r[3]) for r in session.execute(query)}
    finally:
        engine.dispose()


def recount_mismatches(url: str) -> list[str]:
    """What `sync-server recount --check` would complain about (empty when tallies agree)."""
    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.services.recount import recount

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            found = [m.describe() for m in recount(session, fix=False)]
            session.rollback()
            return found
    finally:
        engine.dispose()


def province_achieved(url: str, service: str = "vneid_level1") -> int:
    """The province tally's achieved count for a service this year."""
    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.services.tally import read_tally

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = read_tally(session, PROVINCE, None, subtree=False)
            return sum(r.achieved for r in rows if r.service == service)
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path:
    """The file of a sqlite:/// URL."""
    return Path(url.removeprefix("sqlite:///"))


def backup_sqlite(url: str, target: Path) -> None:
    """A consistent copy of a live SQLite server database (the online backup API)."""
    import sqlite3

    src = sqlite3.connect(sqlite_path(url))
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def restore_sqlite(url: str, source: Path, new_epoch: str) -> None:
    """Roll a live server database back to a copy and give it a new epoch, as a restore does."""
    import sqlite3

    src = sqlite3.connect(source)
    dst = sqlite3.connect(sqlite_path(url))
    try:
        src.backup(dst)
        dst.execute("UPDATE server_meta SET value = ? WHERE key = 'epoch'", (new_epoch,))
        dst.commit()
    finally:
        dst.close()
        src.close()
