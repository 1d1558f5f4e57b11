"""`fieldkit demo` in a real terminal (tmux): server up, home screen shown, Ctrl+Q stops all;
a second run reopens the same demo volunteer."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

# Seeding a whole province happens once per run; under a loaded CI machine it takes a while.
READY_TIMEOUT = 420.0


def fieldkit_command() -> list[str]:
    """The installed `fieldkit` console script (next to this interpreter)."""
    script = Path(sys.executable).with_name("fieldkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fieldkit.cli"]


def tmux(session: str, *args: str) -> list[str]:
    """A tmux command on this session's own server (socket named after the session).

    With the default shared server, killing the last session makes the server exit, and a
    `new-session` issued at that moment fails with "server exited unexpectedly".
    """
    return ["tmux", "-L", session, *args]


def capture(session: str) -> str:
    """What the terminal shows now."""
    return subprocess.run(
        tmux(session, "capture-pane", "-p", "-t", session),
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def wait_for_screen(session: str, predicate: str, timeout: float) -> str:
    """Poll the pane until it shows the text (a real terminal has no event to wait on)."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = capture(session)
        if predicate in shown:
            return shown
        time.sleep(0.5)
    raise AssertionError(f"{predicate!r} never appeared; the terminal showed:\n{shown}")


def server_pids(home: Path) -> list[int]:
    """Processes serving the demo database under this home."""
    out = subprocess.run(["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True).stdout
    marker = str(home / "demo" / "server.sqlite3")
    return [int(line.split()[0]) for line in out.splitlines() if marker in line and "serve" in line]


def start_demo_session(session: str, home: Path) -> None:
    """`fieldkit demo` in a detached 80x24 tmux session."""
    env = {**os.environ}
    env.pop("TMUX", None)
    # A running tmux server gives new sessions its own environment: pass ours explicitly.
    command = shlex.join(
        [
            "env",
            f"FIELDKIT_HOME={home}",
            "FIELDKIT_DEMO_ENTRIES=50",
            "FIELDKIT_LANG=vi",
            *fieldkit_command(),
            "demo",
        ]
    )
    subprocess.run(
        tmux(session, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command),
        env=env,
        check=True,
    )


def quit_and_wait_for_the_server_to_stop(session: str, home: Path) -> None:
    """Ctrl+Q in the app; the demo server goes with it."""
    subprocess.run(tmux(session, "send-keys", "-t", session, "C-q"), check=True)
    deadline = time.monotonic() + 30
    while server_pids(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not server_pids(home), "quitting the app stops the demo server"


def test_fieldkit_demo_shows_the_home_screen_in_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    session = f"fk-demo-{os.getpid()}"
    start_demo_session(session, home)
    try:
        shown = wait_for_screen(session, "Nhập mới", READY_TIMEOUT)
        assert "Traceback" not in shown
        assert "Tình nguyện viên Demo" in shown
        assert "Chờ đồng bộ" in shown and "Chỉ tiêu của thôn" in shown
        shown = wait_for_screen(session, "TRỰC TUYẾN", 60)
        assert server_pids(home), (
            "no demo server running: "
            + subprocess.run(
                ["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True
            ).stdout[-3000:]
        )
        quit_and_wait_for_the_server_to_stop(session, home)
    finally:
        subprocess.run(tmux(session, "kill-server"), check=False)
    # A second run opens the same demo volunteer (and says so) instead of enrolling anew.
    session = f"fk-demo-again-{os.getpid()}"
    start_demo_session(session, home)
    try:
        shown = wait_for_screen(session, "Dùng lại tình nguyện viên demo", READY_TIMEOUT)
        assert "Traceback" not in shown
        shown = wait_for_screen(session, "Nhập mới", READY_TIMEOUT)  # home follows the notice
        assert "Traceback" not in shown
        quit_and_wait_for_the_server_to_stop(session, home)
    finally:
        subprocess.run(tmux(session, "kill-server"), check=False)
    assert [p.name for p in (home / "profiles").iterdir()] == ["demo"]
