"""`fieldkit demo`: a seeded local sync server in a subprocess and a demo volunteer enrolled."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fieldkit.domain import wire
from fieldkit.settings import ClientSettings
from fieldkit.store import Store, create_profile
from fieldkit.sync import enroll

PROVINCE = "52"
DEMO_ENTRIES = 2000
# FIELDKIT_DEMO_ENTRIES overrides how many demo entries the server is seeded with (tests: few).
DEMO_ENTRIES_ENV = "FIELDKIT_DEMO_ENTRIES"
HEALTH_TIMEOUT = 90.0
DEMO_NAME = "Tình nguyện viên Demo"


class DemoError(Exception):
    """The demo could not start; the message says why in plain words."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(db_url: str, *args: str) -> list[str]:
    """The sync-server CLI as a subprocess (fieldkit never imports sync_server)."""
    return [sys.executable, "-m", "sync_server.cli", "--db", db_url, *args]


def run_server_cli(db_url: str, *args: str, timeout: float = 600.0) -> str:
    """Run one sync-server command and return its standard output."""
    done = subprocess.run(
        server_command(db_url, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
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
    return int(raw) if raw.isdigit() else DEMO_ENTRIES


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


def start_server(workdir: Path, db_url: str) -> DemoServer:
    """Start `sync-server serve` on a free loopback port and wait until it is healthy."""
    port = free_port()
    log_path = workdir / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            server_command(db_url, "serve", "--host", "127.0.0.1", "--port", str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
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
    stopped: bool = field(default=False)

    def stop(self) -> None:
        """Stop the server (safe to call twice)."""
        if not self.stopped:
            self.stopped = True
            self.server.stop()


def start_demo(home: Path, say: Callable[[str], None] | None = None) -> Demo:
    """Seed (once) and start the demo server under home/demo, enroll a fresh demo volunteer."""
    tell = say or (lambda _text: None)
    workdir = home / "demo"
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    db_url = f"sqlite:///{workdir / 'server.sqlite3'}"
    marker = workdir / "seeded"
    if not marker.exists():
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
    tell("Đang khởi động máy chủ dùng thử…")
    server = start_server(workdir, db_url)
    try:
        code = add_volunteer(db_url, demo_village(db_url))
        tell("Đang đăng ký máy với tình nguyện viên demo…")
        response = enroll(server.url, code, "fieldkit-demo")
        client_home = workdir / "client"
        shutil.rmtree(client_home, ignore_errors=True)
        store = create_profile(client_home, response, server.url, pin=None)
    except BaseException:
        server.stop()
        raise
    return Demo(server=server, store=store, home=client_home)


def run_demo(settings: ClientSettings | None = None) -> int:
    """Start the demo and open the app enrolled as the demo volunteer; stop the server after."""
    from fieldkit.tui.app import FieldkitApp

    settings = settings or ClientSettings()
    try:
        demo = start_demo(settings.home, say=lambda text: print(text, flush=True))
    except (DemoError, OSError, subprocess.SubprocessError) as exc:
        print(f"Không khởi động được bản dùng thử: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # enrollment or profile errors carry a Vietnamese message
        message = getattr(exc, "message_vi", None) or str(exc)
        print(f"Không khởi động được bản dùng thử: {message}", file=sys.stderr)
        return 1
    try:
        app_settings = settings.model_copy(update={"home": demo.home})
        FieldkitApp(app_settings, store=demo.store, on_exit=demo.stop).run()
    finally:
        demo.stop()
    return 0
