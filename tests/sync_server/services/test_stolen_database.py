"""A stolen server database and its Litestream replica, alone, give back no identity number.

The attack: for an entry, the masked number, the birth year and the sex leave about a thousand
candidate numbers (even granting the attacker the three birth-province digits, which the mask
no longer shows); HMAC each candidate with every key-like value the files hold and compare
with the entry's stored citizen key. While the key lived in `server_meta` this recovered
nearly every number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from server_factories import entry_data, id_number, make_device, make_geography, mutations
from sqlalchemy.orm import Session

from sync_server.cli import litestream_binary, litestream_config
from sync_server.db.engine import make_engine
from sync_server.services.init import migrate
from sync_server.services.pushing import ingest_mutations

CITIZENS = 40
KEYLIKE = re.compile(rb"[0-9A-Za-z_\-]{16,128}")


def _replicate(db: Path, replica: Path, work: Path) -> None:
    """Run `litestream replicate` until the replica restores (as `serve --replicate` does)."""
    config = work / "litestream.yml"
    config.write_text(json.dumps(litestream_config(db, replica)))
    proc = subprocess.Popen(
        [str(litestream_binary()), "replicate", "-no-expand-env", "-config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _restore(replica, work / "probe.sqlite3"):
            assert time.monotonic() < deadline, "litestream never wrote a restorable replica"
            time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _restore(replica: Path, target: Path) -> bool:
    target.unlink(missing_ok=True)
    subprocess.run(
        [str(litestream_binary()), "restore", "-o", str(target), f"file://{replica}"],
        capture_output=True,
        timeout=60,
    )
    return target.exists()


def _every_value(db: Path) -> tuple[set[str], list[tuple[str, str, int, str]]]:
    """Every text value of every table, and the entries (key, mask, birth year, sex)."""
    conn = sqlite3.connect(db)
    try:
        values: set[str] = set()
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in conn.execute(f'select * from "{table}"'):
                values.update(v for v in row if isinstance(v, str))
        entries = conn.execute(
            "select citizen_key, id_masked, birth_year, sex from entries"
        ).fetchall()
        return values, entries
    finally:
        conn.close()


def _candidates(masked: str, birth_year: int, sex: str, prefix: str) -> list[str]:
    """Numbers that fit what the files show (DOMAIN.md's layout), given the prefix."""
    century = (0 if birth_year < 2000 else 2) + (1 if sex == "female" else 0)
    known = f"{prefix}{century}{birth_year % 100:02d}"
    tail = masked[-6:]
    out = []
    for fill in range(1000 if tail[:3] == "•••" else 1):
        middle = f"{fill:03d}" if tail[:3] == "•••" else tail[:3]
        out.append(known + middle + tail[3:])
    return out


def _attack(blobs: list[bytes], restored: Path, prefix: str, tries: int = 4) -> set[str]:
    """The numbers recovered from the files alone (tries a few entries with every key found)."""
    values, entries = _every_value(restored)
    keys = {v for v in values if 8 <= len(v) <= 256}
    for blob in blobs:
        keys.update(m.decode() for m in KEYLIKE.findall(blob))
    keys -= {e[0] for e in entries}  # a citizen key is not the key that made it
    recovered: set[str] = set()
    for citizen_key, masked, birth_year, sex in entries[:tries]:
        for key in keys:
            secret = key.encode()
            for number in _candidates(masked, birth_year, sex, prefix):
                digest = hmac.new(secret, number.encode(), hashlib.sha256).hexdigest()
                if digest == citizen_key:
                    recovered.add(number)
                    break
    return recovered


def test_the_database_and_its_replica_alone_reveal_no_number(tmp_path: Path) -> None:
    db = tmp_path / "server" / "server.sqlite3"
    url = f"sqlite:///{db}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        geo = make_geography(session)
        village = geo.villages[geo.communes[0]][0]
        device = make_device(session, village)
        payloads = [entry_data(village, n, birth_year=1990 + n % 20) for n in range(CITIZENS)]
        result = ingest_mutations(session, device, mutations(payloads))
        session.commit()
    engine.dispose()
    assert {r.status.value for r in result.results} == {"accepted"}
    replica = tmp_path / "replica"
    _replicate(db, replica, tmp_path)
    restored = tmp_path / "restored.sqlite3"
    assert _restore(replica, restored)

    files = [p for p in db.parent.iterdir() if p.is_file()]
    files += [p for p in replica.rglob("*") if p.is_file()]
    blobs = [p.read_bytes() for p in files]  # the database, its -wal and -shm, the replica
    assert len(files) >= 3
    numbers = {p["id_number"] for p in payloads}
    recovered = _attack(blobs, restored, prefix=id_number(0)[:3])
    recovered |= _attack(blobs, db, prefix=id_number(0)[:3])
    assert recovered & numbers == set()
    # And the masks the files hold show no more than the last three digits.
    _, entries = _every_value(restored)
    assert all(masked[:9] == "•" * 9 for _, masked, _, _ in entries)
