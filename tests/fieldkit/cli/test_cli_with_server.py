"""The CLI (in-process) against a real sync server process: enroll, add, sync, bundles."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fieldkit_cli_helpers import Outcome
from fieldkit_cli_server import BIN, RunningServer
from typer.testing import CliRunner

from fieldkit.cli import app


@pytest.mark.slow
def test_enroll_add_sync_and_bundle(server: RunningServer, tmp_path: Path) -> None:
    url, code, server_env = server.url, server.code, server.env
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
    shown = fieldkit("status").stdout  # people read service names, not codes
    assert "VNeID mức 2: 1/40" in shown and "vneid_level2" not in shown
    # Sneakernet: the outbox as a bundle the server imports; the next sync acknowledges it.
    assert fieldkit("add", *person, "--service", "dvc_account").code == 0
    bundle = tmp_path / "out.fkb"
    assert fieldkit("export-bundle", str(bundle)).code == 0
    imported = subprocess.run(
        [str(BIN / "sync-server"), "import-bundle", str(bundle)],
        capture_output=True,
        text=True,
        env=server_env,
        timeout=180,
    )
    assert imported.returncode == 0, imported.stderr
    report = json.loads(fieldkit("sync", "--json").stdout)
    assert (report["pushed"], report["accepted"]) == (1, 1)
