"""The CLI (in-process) against a real sync server process: enroll, add, sync, bundles."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fieldkit_cli_helpers import Outcome
from typer.testing import CliRunner

from fieldkit.cli import app

BIN = Path(sys.executable).parent
VILLAGE = "21553-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=180)


def _world(url: str) -> str:
    """A migrated server database with one village and its quota; returns an enrollment code."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine, migrate
    from sync_server.services import quotas, units, users

    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            units.upsert_unit(session, "52", "Gia Lai", "province")
            units.upsert_unit(session, "21553", "Phường Quy Nhơn Bắc", "commune", parent_code="52")
            units.upsert_unit(session, VILLAGE, "Tổ dân phố 1", "village", parent_code="21553")
            period = str(datetime.now(UTC).year)
            quotas.set_quota(session, VILLAGE, "vneid_level2", period, 40)
            code = users.add_user(session, "volunteer", VILLAGE, "Lê Thị Đào").code
            session.commit()
    finally:
        engine.dispose()
    assert code is not None
    return code


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A sync server with one village serving on a free port (a real process), stopped after."""
    db_url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    env = {**os.environ, "SYNC_SERVER_DATABASE_URL": db_url}
    code = _world(db_url)
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
        yield url, code, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_enroll_add_sync_and_bundle(
    server: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    url, code, server_env = server
    env: dict[str, str | None] = {
        "FIELDKIT_HOME": str(tmp_path / "home"),
        "FIELDKIT_LANG": "vi",
        "FIELDKIT_PROFILE": None,
    }
    runner = CliRunner()

    def fieldkit(*args: str) -> Outcome:
        result = runner.invoke(app, list(args), env=env)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    enrolled = fieldkit("enroll", url, code, "--name", "laptop-1")
    assert enrolled.code == 0 and "Lê Thị Đào" in enrolled.stdout, enrolled.stderr
    person = ["--name", "Nguyễn Văn A", "--id-number", "052090001234", "--birth-year", "1990",
              "--sex", "male", "--outcome", "success", "--consent"]  # fmt: skip
    assert fieldkit("add", *person, "--service", "vneid_level2").code == 0
    synced = fieldkit("sync", "--json")
    assert synced.code == 0, synced.stderr
    assert json.loads(synced.stdout)["accepted"] == 1
    status = json.loads(fieldkit("status", "--json").stdout)
    assert (status["pending"], status["rejected"]) == (0, 0) and status["last_sync_at"]
    level2 = next(v for v in status["villages"] if v["service"] == "vneid_level2")
    assert (level2["achieved"], level2["quota"]) == (1, 40)
    # Sneakernet: the outbox as a bundle the server imports; the next sync acknowledges it.
    assert fieldkit("add", *person, "--service", "dvc_account").code == 0
    bundle = tmp_path / "out.fkb"
    assert fieldkit("export-bundle", str(bundle)).code == 0
    imported = _run([str(BIN / "sync-server"), "import-bundle", str(bundle)], server_env)
    assert imported.returncode == 0, imported.stderr
    report = json.loads(fieldkit("sync", "--json").stdout)
    assert (report["pushed"], report["accepted"]) == (1, 1)
