"""Fixtures for the CLI tests: an enrolled profile (fake enrollment, no server) in a temp home."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
sys.path.insert(0, str(Path(__file__).parent))

from fieldkit_cli_helpers import Outcome, Run
from fieldkit_cli_server import RunningServer, running_server
from fieldkit_store_helpers import fake_enrollment

from fieldkit.cli import app
from fieldkit.store import create_profile

FIELDKIT = Path(sys.executable).with_name("fieldkit")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A FIELDKIT_HOME with one enrolled profile."""
    root = tmp_path / "home"
    create_profile(root, fake_enrollment(), "http://127.0.0.1:9").close()
    return root


@pytest.fixture
def cli(home: Path) -> Run:
    """Run `fieldkit …` in-process (CliRunner) against the temp home, Vietnamese by default."""
    runner = CliRunner()

    def run(*args: str, lang: str = "vi", input: str | None = None) -> Outcome:
        env = {"FIELDKIT_HOME": str(home), "FIELDKIT_LANG": lang, "FIELDKIT_PROFILE": None}
        result = runner.invoke(app, list(args), env=env, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def fieldkit(home: Path) -> Run:
    """Run the real `fieldkit` console script in a subprocess."""

    def run(*args: str, lang: str = "vi", env: dict[str, str] | None = None) -> Outcome:
        full_env = {**os.environ, "FIELDKIT_HOME": str(home), "FIELDKIT_LANG": lang}
        full_env.pop("FIELDKIT_PROFILE", None)
        full_env.update(env or {})
        proc = subprocess.run(
            [str(FIELDKIT), *args], capture_output=True, text=True, env=full_env, timeout=60
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A sync server with one village, a volunteer and a coordinator (a real process)."""
    with running_server(tmp_path) as running:
        yield running
