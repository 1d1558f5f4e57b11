"""CLI fixtures: a seeded SQLite database built once by a real `sync-server` process, copied
per test, and an in-process runner for the fast checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sync_server.cli import run

SEED_ARGS = ["seed", "--province", "12", "--demo-entries", "150", "--seed", "7"]


@dataclass(frozen=True)
class Result:
    """What a CLI run printed and returned."""

    code: int
    out: str
    err: str


CliRunner = Callable[..., Result]


def sync_server(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Result:
    """Run `python -m sync_server.cli …` as a real subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "sync_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8"},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def proc() -> Callable[..., Result]:
    """Run the CLI as a real subprocess."""
    return sync_server


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run the CLI in-process (same code path as the console script, minus process start)."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lai Châu (38 communes) with 150 demo entries, seeded once by a real process."""
    path = tmp_path_factory.mktemp("seeded") / "server.sqlite3"
    result = sync_server("--db", f"sqlite:///{path}", *SEED_ARGS)
    assert result.code == 0, result.err
    return path


@pytest.fixture
def seeded_url(seeded_template: Path, tmp_path: Path) -> str:
    """A private copy of the seeded database."""
    target = tmp_path / "server.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{seeded_template}{suffix}")
        if source.exists():
            shutil.copy(source, f"{target}{suffix}")
    return f"sqlite:///{target}"
