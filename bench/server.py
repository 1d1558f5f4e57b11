"""A real sync server for benchmarks: a migrated SQLite file, units, volunteers, uvicorn."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from bench.common import ROOT, free_port, wait_until
from fieldkit.domain import wire
from seed.geography import ProvinceSpec, load_province
from sync_server.db.engine import make_engine, migrate
from sync_server.services.units import UnitData, upsert_units
from sync_server.services.users import add_user

PROVINCE = "52"


@dataclass(frozen=True)
class ServerDb:
    """A prepared server database: its URL, the province and one enrollment code per village."""

    url: str
    province: ProvinceSpec
    codes: dict[str, str]


def log_lines(log: Path, needle: str) -> list[str]:
    """The server log's lines that contain `needle`."""
    if not log.exists():
        return []
    text = log.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if needle in line]


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def unit_rows(spec: ProvinceSpec) -> list[UnitData]:
    """A province's units as the units service takes them (parents first)."""
    return [
        UnitData(u.code, u.name, u.level.value, u.parent_code, u.province_code, u.commune_code)
        for u in spec.all_units()
    ]


def prepare(path: Path, volunteers: int, province: str = PROVINCE) -> ServerDb:
    """Migrate a fresh database, store the province's units and one volunteer per village."""
    url = sqlite_url(path)
    migrate(url)
    spec = load_province(province)
    engine = make_engine(url)
    codes: dict[str, str] = {}
    try:
        with Session(engine) as session:
            upsert_units(session, unit_rows(spec))
            for index, village in enumerate(spec.villages[:volunteers], start=1):
                added = add_user(session, "volunteer", village.code, f"Tình Nguyện Viên {index}")
                assert added.code is not None
                codes[village.code] = added.code
            session.commit()
    finally:
        engine.dispose()
    return ServerDb(url, spec, codes)


@contextmanager
def running_server(url: str, log: Path, workers: int = 1) -> Iterator[str]:
    """A uvicorn subprocess serving create_app() on a free loopback port; yields its base URL.

    The server's stderr goes to `log` (read it for the warnings behind any 5xx).
    """
    port = free_port()
    env = os.environ | {"SYNC_SERVER_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "sync_server.api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    log_file = log.open("w", encoding="utf-8")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        health = f"{base}{wire.API_PREFIX}/healthz"

        def up() -> bool:
            if process.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"server exited: {tail}")
            return httpx.get(health, timeout=2).status_code == 200

        wait_until(up, 60, "the sync server")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log_file.close()
