"""A real sync server for benchmarks: a migrated SQLite file, units, volunteers, and the server."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from bench.common import ROOT, wait_until
from fieldkit.domain import wire
from seed.geography import ProvinceSpec, load_province
from sync_server.db.engine import make_engine
from sync_server.services.init import migrate
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


def code_env(root: Path) -> dict[str, str]:
    """The environment of a subprocess that runs the code checked out at `root`.

    `root` comes first on the module path (before the editable install of this checkout), and
    the subprocess runs with `root` as its working directory.
    """
    return os.environ | {"PYTHONPATH": str(root)}


def prepare_in(root: Path, path: Path, volunteers: int) -> ServerDb:
    """`prepare` run by the code checked out at `root` (its own migrations and services)."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import sync_server\n"
        "from bench.server import prepare\n"
        "db = prepare(Path(sys.argv[1]), int(sys.argv[2]))\n"
        "print(json.dumps({'url': db.url, 'codes': db.codes, 'code': sync_server.__file__}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(volunteers)],
        cwd=root,
        env=code_env(root),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"preparing the database with {root} failed: {done.stderr[-2000:]}")
    made = json.loads(done.stdout.splitlines()[-1])
    if not Path(made["code"]).resolve().is_relative_to(root.resolve()):
        raise RuntimeError(f"{root}'s subprocess imported {made['code']}, not its own code")
    return ServerDb(made["url"], load_province(PROVINCE), made["codes"])


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the live processes of a process group (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        # After the name: state, ppid, pgrp, …; utime and stime are the 12th and 13th.
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and the process group of it and its workers."""

    base: str
    group: int

    def cpu_seconds(self) -> float:
        """CPU time the server's processes have used so far (all workers)."""
        return group_cpu_seconds(self.group)


@contextmanager
def running_server(url: str, log: Path, workers: int = 1, root: Path = ROOT) -> Iterator[str]:
    """`serving`, yielding only the base URL."""
    with serving(url, log, workers, root) as served:
        yield served.base


@contextmanager
def serving(url: str, log: Path, workers: int = 1, root: Path = ROOT) -> Iterator[Served]:
    """`sync-server serve` (the deployment command) on a free loopback port, until the block ends.

    The server's stdout and stderr go to `log` (read it for the warnings behind any 5xx). It
    gets a throw-away server key unless the environment names one (never the user's key file).
    `root` is the checkout whose code serves (another one: `python -m bench ingest --against`).
    """
    env = code_env(root)
    if not env.get("SYNC_SERVER_SECRET_KEY") and not env.get("SYNC_SERVER_KEY_FILE"):
        env["SYNC_SERVER_SECRET_KEY"] = secrets.token_hex(32)
    command = [
        sys.executable,
        "-m",
        "sync_server.cli",
        "--db",
        url,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        str(workers),
    ]
    log_file = log.open("w", encoding="utf-8")
    # A session of its own: the worker processes go down with the server if it must be killed.
    process = subprocess.Popen(
        command, env=env, cwd=root, stdout=log_file, stderr=log_file, start_new_session=True
    )
    try:
        bases: list[str] = []

        def up() -> bool:
            if process.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"server exited: {tail}")
            if not bases:
                announced = log_lines(log, "listening on http://")
                if not announced:
                    return False
                bases.append(announced[0].split()[-1])
            return httpx.get(f"{bases[0]}{wire.API_PREFIX}/healthz", timeout=2).status_code == 200

        wait_until(up, 60, "the sync server")
        yield Served(bases[0], process.pid)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log_file.close()
