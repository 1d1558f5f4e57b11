"""The pushing writers' lock: one holder across threads and processes, none for PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync_server.db.writers import WriterLock, lock_path

HOLD = """
import sys
from sync_server.db.writers import WriterLock
with WriterLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_lock_file_sits_beside_a_sqlite_file_only(tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite3"
    assert lock_path(f"sqlite:///{db}") == f"{db}-writers"
    assert lock_path("sqlite://") is None
    assert lock_path("sqlite:///:memory:") is None
    assert lock_path("postgresql+psycopg://postgres@127.0.0.1/test") is None


def test_another_process_holding_the_lock_keeps_us_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        path = lock_path(url)
        assert path is not None
        fd = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(30) == 0
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the holder let go
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        holder.kill()
        holder.wait()


def test_threads_take_turns_and_an_error_releases_the_lock(tmp_path: Path) -> None:
    lock = WriterLock(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    inside: list[int] = []
    overlaps: list[int] = []

    def work(n: int) -> None:
        for _ in range(50):
            with lock:
                inside.append(n)
                if len(inside) > 1:
                    overlaps.append(n)
                inside.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    with pytest.raises(RuntimeError), lock:
        raise RuntimeError("a failed push")
    with lock:  # not left held by the failure
        pass


def test_idle_is_clear_only_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    lock = WriterLock(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    assert lock.idle.is_set()
    with lock:
        assert not lock.idle.is_set()
        waiter_done = threading.Event()

        def checker() -> None:
            lock.idle.wait()
            waiter_done.set()

        thread = threading.Thread(target=checker)
        thread.start()
        assert not waiter_done.wait(0.2)  # a checker of this process waits for the writer
    thread.join(5)
    assert waiter_done.is_set() and lock.idle.is_set()
    with pytest.raises(RuntimeError), lock:
        raise RuntimeError("a failed push")
    assert lock.idle.is_set()  # a failed write does not leave checkers waiting
