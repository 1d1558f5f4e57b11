"""`sync-server serve --workers N`: several uvicorn processes share one socket and one database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from fieldkit.domain import new_entry_id, wire
from sync_server.settings import ServerSettings, get_settings

CliRunner = Callable[..., Any]
HEADERS = {wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION}


def test_workers_must_be_at_least_one(cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    result = cli("--db", url, "serve", "--workers", "0")
    assert result.code == 2 and "--workers" in result.err


def test_workers_from_the_environment(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_SERVER_WORKERS", "3")
    assert get_settings().workers == 3
    monkeypatch.setenv("SYNC_SERVER_WORKERS", "0")
    result = cli("--db", f"sqlite:///{tmp_path / 'server.sqlite3'}", "serve")
    assert result.code == 2
    assert "SYNC_SERVER_WORKERS = '0'" in result.err and "Traceback" not in result.err


def test_settings_survive_the_trip_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a worker process rebuilds from the variables equals what its parent had."""
    settings = get_settings(
        database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}", max_body_bytes=1234, workers=2
    )
    for name, value in settings.environ().items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert ServerSettings() == settings


def test_replicate_passes_the_workers_on(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under Litestream the server is a child command: it must get the same --workers."""
    calls: list[list[str]] = []
    monkeypatch.setattr("sync_server.cli.serving.os.execv", lambda _, args: calls.append(args))
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    result = cli("--db", url, "serve", "--replicate", str(tmp_path / "replica"), "--workers", "2")
    assert result.code == 0, result.err
    child = calls[0][calls[0].index("-exec") + 1]
    assert child.endswith("serve --host 127.0.0.1 --port 8000 --workers 2")


def _entry(village: str, number: int) -> dict[str, Any]:
    return {
        "id": str(new_entry_id()),
        "village": village,
        "service": "vneid_level1",
        "outcome": "success",
        "reasons": [],
        "assisted_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "full_name": "Nguyễn Văn An",
        "id_number": f"0120900{number:05d}",
        "birth_year": 1990,
        "sex": "male",
        "phone": "0912345678",
        "consent": True,
    }


def _worker_pids(parent: int) -> list[int]:
    """The parent's children that are uvicorn workers (spawned interpreters), Linux only."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    if not children.exists():
        pytest.skip("needs /proc to count worker processes")
    pids = [int(p) for p in children.read_text().split()]
    return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


@pytest.mark.slow
def test_two_workers_serve_enroll_push_and_pull(cli: CliRunner, seeded_url: str) -> None:
    engine = create_engine(seeded_url)
    with engine.connect() as conn:
        villages = list(
            conn.scalars(text("select code from units where level = 'village' order by code"))
        )[:2]
    engine.dispose()
    entries = [_entry(village, index) for index, village in enumerate(villages)]
    codes = []
    for index, village in enumerate(villages):
        added = cli("--db", seeded_url, "user", "add", "--role", "volunteer", "--unit", village,
                    "--name", f"Tình Nguyện Viên {index}", "--json")  # fmt: skip
        assert added.code == 0, added.err
        codes.append(json.loads(added.out)["code"])
    server = subprocess.Popen(
        [sys.executable, "-m", "sync_server.cli", "--db", seeded_url, "serve", "--port", "0",
         "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # printed once the shared socket is bound
        assert line.startswith("listening on http://"), line
        base = line.split()[-1]

        def push_and_pull(index: int) -> tuple[int, int]:
            # A client of its own per device: separate connections, either worker may answer.
            with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client:
                assert client.get("/api/v1/healthz").json()["db"] == "ok"
                enrolled = client.post(
                    "/api/v1/enroll", json={"code": codes[index], "device_name": f"laptop {index}"}
                )
                assert enrolled.status_code == 200, enrolled.text
                auth = {"Authorization": f"Bearer {enrolled.json()['token']}"}
                body = {"mutations": [{"mutation_id": 1, "entry": entries[index]}]}
                pushed = client.post("/api/v1/sync/push", json=body, headers=auth)
                assert pushed.status_code == 200, pushed.text
                assert [r["status"] for r in pushed.json()["results"]] == ["accepted"]
                pulled = client.get("/api/v1/sync/pull", params={"cursor": 0}, headers=auth)
                assert pulled.status_code == 200, pulled.text
                return pushed.json()["last_mutation_id"], pulled.json()["last_mutation_id"]

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(push_and_pull, range(2)))
        assert results == [(1, 1), (1, 1)]
        assert len(_worker_pids(server.pid)) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""
    engine = create_engine(seeded_url)
    with engine.connect() as conn:
        stored = conn.scalar(
            text("select count(*) from entries where id in (:a, :b)"),
            {"a": entries[0]["id"], "b": entries[1]["id"]},
        )
    engine.dispose()
    assert stored == 2
