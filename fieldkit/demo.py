"""`fieldkit demo`: a seeded local sync server in a subprocess and a demo volunteer enrolled.

The demo volunteer is an ordinary profile named `demo` in $FIELDKIT_HOME/profiles, so plain
`fieldkit`, `fieldkit status` and every other command list and open it like any other; the
demo's server keeps its database (`server.sqlite3`, seeded once), its key file (`secret.key`,
made by `sync-server init`) and its log under $FIELDKIT_HOME/demo. A later run starts the
server on the same database and port and opens the same profile, so what was typed in an
earlier run is still listed. Only when that profile no longer fits the server (device unknown
or revoked, database rebuilt) or cannot be read is a new demo volunteer enrolled; the old
profile is renamed `demo-<time>` beside it, never deleted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from fieldkit.domain import wire
from fieldkit.domain.digits import ascii_int
from fieldkit.enrollment import enroll_laptop
from fieldkit.errors import UserError
from fieldkit.profile_files import DB_NAME
from fieldkit.store import (
    EntryQuery,
    Store,
    StoreError,
    open_store,
)
from fieldkit.store.profiles import profile_path
from fieldkit.sync.engine import PULL_PATH
from fieldkit.sync.transport import make_client

PROVINCE = "52"
DEMO_ENTRIES = 2000
# FIELDKIT_DEMO_ENTRIES overrides how many demo entries the server is seeded with (tests: few).
DEMO_ENTRIES_ENV = "FIELDKIT_DEMO_ENTRIES"
HEALTH_TIMEOUT = 90.0
DEMO_NAME = "Tình nguyện viên Demo"
SERVER_DB = "server.sqlite3"
SERVER_KEY = "secret.key"
SEEDED_MARKER = "seeded"
DEMO_PROFILE = "demo"
"""The demo volunteer's profile name in $FIELDKIT_HOME/profiles."""
OLD_CLIENT_DIR = "client"
"""Where earlier versions kept the demo profile: $FIELDKIT_HOME/demo/client (moved on start)."""


class DemoError(UserError):
    """The demo could not start; the message says why in plain words."""


def free_port(preferred: int | None = None) -> int:
    """A TCP port nobody listens on right now: the preferred one if it is free."""
    if preferred:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", preferred))
            except OSError:
                pass
            else:
                return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(db_url: str, *args: str) -> list[str]:
    """The sync-server CLI as a subprocess (fieldkit never imports sync_server)."""
    return [sys.executable, "-m", "sync_server.cli", "--db", db_url, *args]


def server_env(db_url: str) -> dict[str, str]:
    """The environment of the demo server's commands: its own key file next to its database."""
    env = dict(os.environ)
    env.pop("SYNC_SERVER_SECRET_KEY", None)
    database = Path(db_url.removeprefix("sqlite:///"))
    env["SYNC_SERVER_KEY_FILE"] = str(database.with_name(SERVER_KEY))
    return env


def run_server_cli(db_url: str, *args: str, timeout: float = 600.0) -> str:
    """Run one sync-server command and return its standard output."""
    done = subprocess.run(
        server_command(db_url, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=server_env(db_url),
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise DemoError(f"sync-server {args[0]}: " + " / ".join(tail))
    return done.stdout


def parse_json_output(text: str) -> Any:
    """The JSON document a --json command printed (ignoring any lines before it)."""
    start = min((i for i in (text.find("["), text.find("{")) if i >= 0), default=-1)
    if start < 0:
        raise DemoError("sync-server printed no JSON")
    return json.loads(text[start:])


def demo_entries() -> int:
    """How many demo entries to seed (FIELDKIT_DEMO_ENTRIES, else 2,000)."""
    raw = os.environ.get(DEMO_ENTRIES_ENV, "")
    entries = ascii_int(raw.strip())
    return DEMO_ENTRIES if entries is None else entries


@dataclass
class DemoServer:
    """A running `sync-server serve` subprocess."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> None:
        """Poll /api/v1/healthz until it answers, the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DemoError("sync-server stopped: " + self.log_tail())
            try:
                if httpx.get(self.url + wire.API_PREFIX + "/healthz", timeout=2.0).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise DemoError("sync-server did not answer in time: " + self.log_tail())

    def log_tail(self) -> str:
        """The last lines the server wrote."""
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return " / ".join(lines[-5:])

    def stop(self) -> None:
        """Stop the server (terminate, then kill if it hangs)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(workdir: Path, db_url: str, preferred_port: int | None = None) -> DemoServer:
    """Start `sync-server serve` on a free loopback port and wait until it is healthy."""
    port = free_port(preferred_port)
    log_path = workdir / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            server_command(db_url, "serve", "--host", "127.0.0.1", "--port", str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_env(db_url),
        )
    server = DemoServer(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        server.wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


def demo_village(db_url: str) -> str:
    """The first village of the first commune of the demo province."""
    communes = parse_json_output(run_server_cli(db_url, "units", "--parent", PROVINCE, "--json"))
    for commune in communes:
        villages = parse_json_output(
            run_server_cli(db_url, "units", "--parent", str(commune["code"]), "--json")
        )
        if villages:
            return str(villages[0]["code"])
    raise DemoError("the demo database has no villages")


def add_volunteer(db_url: str, village: str) -> str:
    """A new demo volunteer in that village; returns the enrollment code."""
    out = run_server_cli(
        db_url,
        "user",
        "add",
        "--role",
        "volunteer",
        "--unit",
        village,
        "--name",
        DEMO_NAME,
        "--json",
    )
    data = parse_json_output(out)
    code = data.get("code") or data.get("enrollment_code")
    if not code:
        raise DemoError("sync-server user add printed no enrollment code")
    return str(code)


@dataclass
class Demo:
    """A running demo: the server subprocess and the demo volunteer's open store."""

    server: DemoServer
    store: Store
    home: Path
    notice: tuple[str, str] | None = None
    """What happened to an earlier run's profile (Vietnamese, English), if there was one."""
    reused: bool = False
    """Whether the earlier run's profile is the one open (else a new enrollment)."""
    stopped: bool = field(default=False)

    def stop(self) -> None:
        """Stop the server (safe to call twice)."""
        if not self.stopped:
            self.stopped = True
            self.server.stop()


# What the demo tells the volunteer about an earlier run's profile: (Vietnamese, English).
DEMO_TEXTS: dict[str, tuple[str, str]] = {
    "demo.reused": (
        "Dùng lại tình nguyện viên demo của lần trước ({count} bản ghi trên máy).",
        "Using the demo volunteer from last time ({count} entries on this laptop).",
    ),
    "demo.re_enroll.unknown_device": (
        "Máy chủ dùng thử không còn nhận ra máy này, nên đã đăng ký một tình nguyện viên demo "
        "mới. Hồ sơ demo cũ (kể cả bản ghi chưa gửi) được giữ lại ở {path}.",
        "The demo server no longer knows this laptop, so a new demo volunteer was enrolled. "
        "The old demo profile (with any unsent entries) is kept in {path}.",
    ),
    "demo.re_enroll.new_epoch": (
        "Cơ sở dữ liệu của máy chủ dùng thử đã được tạo lại, nên đã đăng ký một tình nguyện "
        "viên demo mới. Hồ sơ demo cũ (kể cả bản ghi chưa gửi) được giữ lại ở {path}.",
        "The demo server's database was rebuilt, so a new demo volunteer was enrolled. "
        "The old demo profile (with any unsent entries) is kept in {path}.",
    ),
    "demo.re_enroll.unreadable": (
        "Không mở được hồ sơ demo cũ ({detail}), nên đã đăng ký một tình nguyện viên demo mới. "
        "Hồ sơ cũ được giữ lại ở {path}.",
        "The old demo profile could not be opened ({detail}), so a new demo volunteer was "
        "enrolled. The old profile is kept in {path}.",
    ),
}


def both(key: str, **params: object) -> tuple[str, str]:
    """One of DEMO_TEXTS in Vietnamese and English."""
    vi, en = DEMO_TEXTS[key]
    return vi.format(**params), en.format(**params)


def seed_once(workdir: Path, db_url: str, tell: Callable[[str], None]) -> None:
    """Seed the demo database unless an earlier run did (and the database is still there)."""
    marker = workdir / SEEDED_MARKER
    if not (workdir / SERVER_KEY).exists():  # a fresh clone, or a demo made before key files
        run_server_cli(db_url, "init")
    if marker.exists() and (workdir / SERVER_DB).exists():
        return
    tell(f"Đang tạo dữ liệu mẫu (tỉnh Gia Lai, {demo_entries()} bản ghi; lần đầu hơi lâu)…")
    run_server_cli(
        db_url,
        "seed",
        "--province",
        PROVINCE,
        "--demo-entries",
        str(demo_entries()),
        "--seed",
        "1",
    )
    marker.write_text("1\n", encoding="utf-8")


def adopt_old_profile(home: Path) -> None:
    """Move a demo profile of an earlier version (home/demo/client) to home/profiles/demo."""
    old_root = home / "demo" / OLD_CLIENT_DIR / "profiles"
    target = profile_path(home, DEMO_PROFILE).parent
    if target.exists() or not old_root.is_dir():
        return
    found = [d for d in sorted(old_root.iterdir()) if (d / DB_NAME).is_file()]
    if found:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        found[0].rename(target)


def open_earlier_profile(home: Path) -> Store | StoreError | None:
    """The demo profile an earlier run enrolled, why it cannot be opened, or None (no profile)."""
    if not profile_path(home, DEMO_PROFILE).is_file():
        return None
    try:
        return open_store(home, DEMO_PROFILE)
    except StoreError as exc:
        return exc


def port_of(url: str) -> int | None:
    """The port of a server address (None if it has none)."""
    try:
        return urlsplit(url).port
    except ValueError:
        return None


def profile_problem(server_url: str, store: Store) -> str | None:
    """Why the profile no longer fits this server: 'unknown_device', 'new_epoch', or None.

    One authenticated pull page (read only; nothing is applied) answers both: a device the
    server does not know (or revoked) gets 401/403; a rebuilt database has another epoch.
    """
    with make_client(server_url, store.profile.token) as client:
        response = client.get(PULL_PATH, params={"cursor": store.cursor(), "limit": 1})
    if response.status_code in (401, 403):
        return "unknown_device"
    if not response.is_success:
        raise DemoError(f"sync-server pull: HTTP {response.status_code} {response.text[:200]}")
    try:
        page = wire.PullResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise DemoError("sync-server pull: unexpected answer") from exc
    known = store.server_epoch()
    if known is not None and page.server_epoch != known:
        return "new_epoch"
    return None


def move_aside(home: Path) -> Path:
    """Keep an unusable demo profile beside the new one (its entries may not be synced)."""
    current = profile_path(home, DEMO_PROFILE).parent
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = current.with_name(f"{DEMO_PROFILE}-{stamp}")
    n = 2
    while target.exists():
        target = current.with_name(f"{DEMO_PROFILE}-{stamp}-{n}")
        n += 1
    current.rename(target)
    return target


def follow_server(store: Store, server_url: str) -> None:
    """Point the profile at this run's server (its usual port was taken by something else)."""
    if store.profile.server_url != server_url:
        store.set_server_url(server_url)


def enroll_fresh(db_url: str, server: DemoServer, home: Path) -> Store:
    """A new demo volunteer on the server, enrolled into the `demo` profile of home."""
    code = add_volunteer(db_url, demo_village(db_url))
    return enroll_laptop(home, server.url, code, "fieldkit-demo", profile=DEMO_PROFILE)


def start_demo(home: Path, say: Callable[[str], None] | None = None) -> Demo:
    """Seed (once) and start the demo server under home/demo; reuse or enroll the volunteer."""
    tell = say or (lambda _text: None)
    workdir = home / "demo"
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    db_url = f"sqlite:///{workdir / SERVER_DB}"
    seed_once(workdir, db_url, tell)
    adopt_old_profile(home)
    earlier = open_earlier_profile(home)
    store = earlier if isinstance(earlier, Store) else None
    tell("Đang khởi động máy chủ dùng thử…")
    try:
        # The port of last time, so the profile's server address stays right.
        server = start_server(workdir, db_url, port_of(store.profile.server_url) if store else None)
    except BaseException:
        if store is not None:
            store.close()
        raise
    try:
        notice: tuple[str, str] | None = None
        if store is not None:
            problem = profile_problem(server.url, store)
            if problem is None:
                follow_server(store, server.url)
                notice = both("demo.reused", count=store.count_entries(EntryQuery()))
                tell(notice[0])
                return Demo(server, store, home, notice=notice, reused=True)
            store.close()
            store = None
            notice = both(f"demo.re_enroll.{problem}", path=move_aside(home))
        elif isinstance(earlier, StoreError):
            path = move_aside(home)
            vi, en = DEMO_TEXTS["demo.re_enroll.unreadable"]
            notice = (
                vi.format(detail=earlier.message("vi"), path=path),
                en.format(detail=earlier.message("en"), path=path),
            )
        if notice is not None:
            tell(notice[0])
        tell("Đang đăng ký máy với tình nguyện viên demo…")
        store = enroll_fresh(db_url, server, home)
    except BaseException:
        if store is not None:
            store.close()
        server.stop()
        raise
    return Demo(server=server, store=store, home=home, notice=notice)
