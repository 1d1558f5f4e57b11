"""A real sync server for the TUI tests: migrated SQLite, a few units, uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.orm import Session

PROVINCE = "52"
COMMUNE = "21550"
VILLAGE = "21550-1"


def make_world(db_url: str, quota: int = 40) -> None:
    """Migrate the database; add a province, a commune, a village and a quota."""
    from fieldkit.domain import period_of
    from sync_server.db.engine import make_engine
    from sync_server.services import quotas, units
    from sync_server.services.init import migrate

    migrate(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            units.upsert_unit(session, PROVINCE, "Gia Lai", "province")
            units.upsert_unit(session, COMMUNE, "Xã An Nhơn", "commune", parent_code=PROVINCE)
            units.upsert_unit(session, VILLAGE, "Thôn An Lộc", "village", parent_code=COMMUNE)
            session.commit()
            from datetime import UTC, datetime

            quotas.set_quota(session, VILLAGE, "vneid_level2", period_of(datetime.now(UTC)), quota)
            session.commit()
    finally:
        engine.dispose()


def add_volunteer(db_url: str, name: str = "Phạm Thu Hà") -> str:
    """A volunteer of the village; returns the one-time enrollment code."""
    from sync_server.db.engine import make_engine
    from sync_server.services import users

    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            added = users.add_user(session, "volunteer", VILLAGE, name)
            session.commit()
    finally:
        engine.dispose()
    assert added.code is not None
    return added.code


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """The real FastAPI app under uvicorn on a given loopback port, in a thread."""

    def __init__(self, db_url: str, data_dir: Path, port: int) -> None:
        from sync_server.api.app import create_app
        from sync_server.settings import get_settings

        app: Any = create_app(get_settings(database_url=db_url, data_dir=data_dir))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        config = uvicorn.Config(app, log_level="warning", lifespan="auto", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> ServerThread:
        """Start and wait until uvicorn serves."""
        self.thread.start()
        idle = threading.Event()
        while not self.server.started and self.thread.is_alive():
            idle.wait(0.01)  # uvicorn offers no start-up event to wait on
        if not self.server.started:
            raise RuntimeError("uvicorn did not start")
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
