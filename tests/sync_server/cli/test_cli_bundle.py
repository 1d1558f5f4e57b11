"""`sync-server import-bundle`: a signed bundle goes through ingest, importing twice is harmless."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from fieldkit.domain import new_entry_id, wire
from fieldkit.domain.bundle import MAX_DECOMPRESSED_BYTES, write_bundle
from fieldkit.store.signing import SigningKey, new_signing_key, public_key_of
from sync_server.db.models import Device, Entry, Team, User
from sync_server.db.writers import WriterLock, lock_path

CliRunner = Callable[..., Any]


def _signed_bundle(seeded_url: str, tmp_path: Path) -> tuple[Path, int]:
    """A bundle of 3 new entries from the first device (its key registered); entries before."""
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        device = session.scalars(select(Device).order_by(Device.id).limit(1)).one()
        user = session.get(User, device.user_id)
        assert user is not None and user.team_id is not None
        team = session.get(Team, user.team_id)
        assert team is not None
        village, start = team.village_code, device.last_mutation_id + 1
        before = session.scalar(select(func.count()).select_from(Entry)) or 0
        key = new_signing_key()
        device.public_key = public_key_of(key)  # as enrollment or the laptop's next sync does
        session.commit()
        device_id = device.id
    engine.dispose()
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    mutations = [
        wire.Mutation(
            mutation_id=start + i,
            entry={
                "id": str(new_entry_id()), "village": village, "service": "vneid_level2",
                "outcome": "success", "assisted_at": when, "full_name": "Lò Văn Minh",
                "id_number": f"01219{i}012345"[:12], "birth_year": 1990 + i, "sex": "male",
                "consent": True,
            },
        )
        for i in range(3)
    ]  # fmt: skip
    bundle = tmp_path / "laptop.bundle"
    bundle.write_bytes(write_bundle(device_id, mutations, SigningKey(key, True).signer()))
    return bundle, before


def _entries(url: str) -> int:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(Entry)) or 0
    finally:
        engine.dispose()


def test_import_bundle_twice(cli: CliRunner, seeded_url: str, tmp_path: Path) -> None:
    bundle, before = _signed_bundle(seeded_url, tmp_path)
    first = cli("--db", seeded_url, "import-bundle", str(bundle))
    assert first.code == 0, first.err
    assert "accepted: 3" in first.out
    second = cli("--db", seeded_url, "import-bundle", str(bundle))
    assert second.code == 0, second.err
    assert _entries(seeded_url) == before + 3
    assert cli("--db", seeded_url, "recount", "--check").code == 0


def _holds_open(pid: int, path: str) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(fd) == path for fd in fds.iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_import_bundle_queues_on_the_servers_writers_lock(seeded_url: str, tmp_path: Path) -> None:
    # The command feeds the same pipeline as a push: it waits for the writers' lock a running
    # server's pushes hold (an flock beside the database) instead of racing them for SQLite's.
    bundle, before = _signed_bundle(seeded_url, tmp_path)
    lock_file = lock_path(seeded_url)
    assert lock_file is not None
    command = [sys.executable, "-m", "sync_server.cli", "--db", seeded_url, "import-bundle"]
    with WriterLock(seeded_url):
        importing = subprocess.Popen(
            [*command, str(bundle)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 120
            while not _holds_open(importing.pid, os.path.realpath(lock_file)):
                assert importing.poll() is None, importing.communicate()
                assert time.monotonic() < deadline, "import-bundle never asked for the lock"
                time.sleep(0.02)
            assert _entries(seeded_url) == before  # it waits for the lock before writing
        except BaseException:
            importing.kill()
            raise
    out, err = importing.communicate(timeout=120)
    assert importing.returncode == 0, err
    assert "accepted: 3" in out
    assert _entries(seeded_url) == before + 3


def test_import_bundle_streams_with_a_size_cap(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    zero = cli("--db", seeded_url, "import-bundle", "/dev/zero")
    assert zero.code == 2 and "Not the expected format" in zero.err
    assert "Traceback" not in zero.err
    huge = tmp_path / "huge.bundle"
    with huge.open("wb") as handle:  # gzip magic, then 80 MB of (sparse) zeros
        handle.write(b"\x1f\x8b")
        handle.truncate(MAX_DECOMPRESSED_BYTES + 16 * 1024 * 1024)
    tracemalloc.start()
    try:
        big = cli("--db", seeded_url, "import-bundle", str(huge))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert big.code == 2 and "File too large" in big.err
    assert peak < MAX_DECOMPRESSED_BYTES + 8 * 1024 * 1024  # stopped at the cap
    assert time.monotonic() - started < 60


def test_hostile_bundles_get_a_clear_refusal(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    """A non-ASCII signature and a header nested 100,000 deep: exit 2 with a message, no crash."""
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        device = session.scalars(select(Device).order_by(Device.id).limit(1)).one()
        device_id = device.id
    engine.dispose()
    signer = SigningKey(new_signing_key(), True).signer()  # the signature is replaced below
    signed = gzip.decompress(write_bundle(device_id, [], signer))
    body = signed[: signed.rstrip(b"\n").rfind(b"\n") + 1]
    non_ascii = tmp_path / "non-ascii.bundle"
    non_ascii.write_bytes(gzip.compress(body + '{"signature":"ảảảả"}\n'.encode()))
    deep = tmp_path / "deep.bundle"
    depth = 100_000
    deep.write_bytes(
        gzip.compress(b'{"format":' + b"[" * depth + b"]" * depth + b'}\n{"signature":"00"}\n')
    )
    for path, words in ((non_ascii, "signature"), (deep, "Line 1")):
        result = cli("--db", seeded_url, "import-bundle", str(path))
        assert result.code == 2, result.err
        assert words in result.err and "unexpected" not in result.err
