"""A real sync server process with one village, a volunteer and the commune's coordinator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
VILLAGE = "21553-1"
COMMUNE = "21553"


@dataclass(frozen=True)
class RunningServer:
    """Where the server listens, its database environment and the secrets handed out."""

    url: str
    code: str
    """The volunteer's enrollment code."""
    env: dict[str, str]
    coordinator: str
    """The coordinator's login name."""
    password: str
    """The coordinator's password."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _world(url: str) -> tuple[str, str]:
    """A migrated database with one village and its quota; the volunteer's code and the
    coordinator's password."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.services import quotas, units, users
    from sync_server.services.init import migrate

    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            units.upsert_unit(session, "52", "Gia Lai", "province")
            units.upsert_unit(session, COMMUNE, "Phường Quy Nhơn Bắc", "commune", parent_code="52")
            units.upsert_unit(session, VILLAGE, "Tổ dân phố 1", "village", parent_code=COMMUNE)
            period = str(datetime.now(UTC).year)
            quotas.set_quota(session, VILLAGE, "vneid_level2", period, 40)
            code = users.add_user(session, "volunteer", VILLAGE, "Lê Thị Đào").code
            password = users.add_user(session, "coordinator", COMMUNE, "Trần Văn Xã").password
            session.commit()
    finally:
        engine.dispose()
    assert code is not None and password is not None
    return code, password


@contextmanager
def running_server(tmp_path: Path) -> Iterator[RunningServer]:
    """Serve on a free port until the block ends."""
    db_url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    env = {**os.environ, "SYNC_SERVER_DATABASE_URL": db_url}
    code, password = _world(db_url)
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "sync-server"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:  # poll until the server answers
            try:
                with urllib.request.urlopen(url + "/api/v1/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield RunningServer(url, code, env, "Trần Văn Xã", password)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
