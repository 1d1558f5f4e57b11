"""`sync-server restore --from DIR`: a Litestream replica back into the SQLite file, with a new
epoch; every refusal is one clear line and leaves the existing files where they were."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync_server.cli import litestream_binary, litestream_config

CliRunner = Callable[..., Any]
SEEDED_ENTRIES = 150  # conftest.SEED_ARGS


@dataclass(frozen=True)
class Replica:
    """A Litestream file replica of the seeded database, and that database's epoch."""

    path: Path
    epoch: str


def epoch_of(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("select value from server_meta where key = 'epoch'").fetchone()[0])
    finally:
        conn.close()


def _restorable(replica: Path, probe: Path) -> bool:
    probe.unlink(missing_ok=True)
    subprocess.run(
        [str(litestream_binary()), "restore", "-o", str(probe), f"file://{replica}"],
        capture_output=True,
        timeout=60,
    )
    return probe.exists()


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Iterator[Replica]:
    """`litestream replicate` run on a copy of the seeded database until its replica restores."""
    home = tmp_path_factory.mktemp("replicated")
    source = home / "source.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{seeded_template}{suffix}").exists():
            shutil.copy(f"{seeded_template}{suffix}", f"{source}{suffix}")
    target = home / "replica"
    config = home / "litestream.yml"
    config.write_text(json.dumps(litestream_config(source, target)))
    proc = subprocess.Popen(
        [str(litestream_binary()), "replicate", "-no-expand-env", "-config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _restorable(target, home / "probe.sqlite3"):
            assert time.monotonic() < deadline, "litestream never wrote a restorable replica"
            time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    yield Replica(target, epoch_of(source))


def one_clean_line(result: Any) -> None:
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("Lỗi / error: ")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (names and bytes)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def occupied(tmp_path: Path) -> Path:
    """A database file with its -wal and -shm (contents that must survive any refusal)."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "server.sqlite3"
    for suffix, body in (("", b"the old database"), ("-wal", b"its wal"), ("-shm", b"its shm")):
        Path(f"{db}{suffix}").write_bytes(body)
    return db


def new_epoch(out: str) -> str:
    found = re.search(r"new epoch: ([0-9a-f]+)", out)
    assert found is not None, out
    return found.group(1)


def test_restore_into_a_new_file_gives_it_a_new_epoch(
    proc: CliRunner, replica: Replica, tmp_path: Path
) -> None:
    db = tmp_path / "fresh" / "server.sqlite3"  # the folder does not exist yet
    result = proc("restore", "--from", str(replica.path),
                  env={"SYNC_SERVER_DATABASE_URL": f"sqlite:///{db}"})  # fmt: skip
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    epoch = new_epoch(result.out)
    assert epoch != replica.epoch and epoch_of(db) == epoch
    assert f"entries back: {SEEDED_ENTRIES}" in result.out and "Đã khôi phục" in result.out
    assert (db.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in db.parent.iterdir()] == ["server.sqlite3"]  # nothing half-made left
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    check = proc("--db", f"sqlite:///{db}", "recount", "--check")
    assert check.code == 0, check.out + check.err


def test_an_existing_database_needs_force_and_is_moved_aside_never_deleted(
    cli: CliRunner, replica: Replica, occupied: Path
) -> None:
    url = f"sqlite:///{occupied}"
    before = snapshot(occupied.parent)
    refused = cli("--db", url, "restore", "--from", str(replica.path))
    one_clean_line(refused)
    assert "--force" in refused.err
    assert snapshot(occupied.parent) == before

    result = cli("--db", url, "restore", "--from", str(replica.path), "--force",
                 "--timestamp", "2999-01-01T00:00:00+07:00")  # fmt: skip
    assert result.code == 0, result.err
    after = snapshot(occupied.parent)
    aside = [name for name in after if name.startswith("server.sqlite3.before-restore-")]
    assert len(aside) == 3, sorted(after)  # the file and its -wal and -shm, moved together
    base = min(aside, key=len)
    assert re.fullmatch(r"server\.sqlite3\.before-restore-\d{8}T\d{6}Z", base)
    for suffix in ("", "-wal", "-shm"):
        assert after[base + suffix] == before["server.sqlite3" + suffix]
    assert f"moved to: {occupied.parent / base}" in result.out
    assert epoch_of(occupied) == new_epoch(result.out) != replica.epoch
    # A second forced restore keeps the first one's files too.
    again = cli("--db", url, "restore", "--from", str(replica.path), "--force")
    assert again.code == 0, again.err
    assert len([n for n in snapshot(occupied.parent) if ".before-restore-" in n]) >= 4


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("postgres", "needs a SQLite file database"),
        ("memory", "needs a SQLite file database"),
        ("no folder", "No replica directory"),
        ("empty folder", "No Litestream replica in"),
        ("not a replica", "No Litestream replica in"),
        ("naive moment", "needs a time zone"),
        ("not a moment", "Invalid --timestamp"),
        ("before the backup", "No Litestream replica at or before that time"),
    ],
)
def test_refusals_are_one_line_and_touch_nothing(
    cli: CliRunner, replica: Replica, occupied: Path, tmp_path: Path, case: str, expected: str
) -> None:
    url = f"sqlite:///{occupied}"
    source = str(replica.path)
    extra: list[str] = []
    if case == "postgres":
        url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    elif case == "memory":
        url = "sqlite://"
    elif case == "no folder":
        source = str(tmp_path / "missing")
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        source = str(tmp_path / "empty")
    elif case == "not a replica":
        (tmp_path / "junk").mkdir()
        (tmp_path / "junk" / "notes.txt").write_text("không phải bản sao")
        source = str(tmp_path / "junk")
    elif case == "naive moment":
        extra = ["--timestamp", "2026-03-04T09:30:00"]
    elif case == "not a moment":
        extra = ["--timestamp", "hôm qua"]
    elif case == "before the backup":
        extra = ["--timestamp", "2001-01-01T00:00:00Z"]
    before = snapshot(occupied.parent)
    result = cli("--db", url, "restore", "--from", source, "--force", *extra)
    one_clean_line(result)
    assert expected in result.err
    assert snapshot(occupied.parent) == before  # the old files stay, no half-made copy left


def test_rotate_epoch_gives_a_new_one(cli: CliRunner, seeded_url: str) -> None:
    db = Path(seeded_url.removeprefix("sqlite:///"))
    old = epoch_of(db)
    result = cli("--db", seeded_url, "rotate-epoch")
    assert result.code == 0, result.err
    assert epoch_of(db) == new_epoch(result.out) != old
