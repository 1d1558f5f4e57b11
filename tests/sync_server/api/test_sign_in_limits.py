"""Wrong passwords and wrong enrollment codes: account lockout with backoff, a per-address limit,
and password checks that never hold the database's write lock."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_factories import (
    COMMUNE_A,
    HEADERS,
    MAX_BODY,
    VILLAGE_A,
    World,
    assert_error,
    entry,
    push_body,
)
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sync_server.api.app import create_app
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import SignInAttempts, User
from sync_server.settings import get_settings

LOGIN = "/api/v1/login"
ENROLL = "/api/v1/enroll"
PUSH = "/api/v1/sync/push"
PASSWORD = "mật khẩu 123"
SLOW_HASH = PasswordHasher(time_cost=8).hash(PASSWORD)


def _serve(url: str, tmp_path: Path, **limits: Any) -> Iterator[tuple[TestClient, World]]:
    settings = get_settings(database_url=url, data_dir=tmp_path, max_body_bytes=MAX_BODY, **limits)
    engine = make_engine(url)
    world = World(make_sessionmaker(engine))
    world.units()
    with TestClient(create_app(settings), headers=HEADERS) as client:
        yield client, world
    engine.dispose()


@pytest.fixture
def limited(any_db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    """The app on SQLite and PostgreSQL with the default lockout and a roomy address limit."""
    yield from _serve(any_db_url, tmp_path, address_failures=1000)


@pytest.fixture
def strict_address(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[tuple[TestClient, World]]:
    """The app allowing three failures per address and ten minutes."""
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    yield from _serve(sqlite_url, tmp_path, address_failures=3)


def _login(client: TestClient, user: str, password: str) -> httpx.Response:
    return client.post(LOGIN, json={"user": user, "password": password})


def _unlock_now(world: World) -> None:
    """Let every lock run out, as if its time had passed."""
    with world.factory() as s:
        past = datetime.now(UTC) - timedelta(seconds=1)
        s.execute(update(SignInAttempts).values(locked_until=past))
        s.commit()


def _retry_after(response: httpx.Response) -> int:
    return int(response.headers["Retry-After"])


def test_an_account_locks_after_five_failures_even_for_the_right_password(
    limited: tuple[TestClient, World],
) -> None:
    client, world = limited
    user_id = world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    for _ in range(5):
        assert_error(_login(client, "Phạm Thu Hà", "sai"), 401, "login_failed")
    locked = _login(client, "Phạm Thu Hà", PASSWORD)
    body = assert_error(locked, 429, "account_locked")
    assert 55 <= _retry_after(locked) <= 60
    assert "locked" in body["error"]["message"]
    # The same account by its id is the same account.
    assert_error(_login(client, str(user_id), PASSWORD), 429, "account_locked")


def test_each_failure_after_the_lock_doubles_it_up_to_the_cap(
    limited: tuple[TestClient, World],
) -> None:
    client, world = limited
    world.staff("admin", None, "Quản Trị")
    for _ in range(5):
        _login(client, "Quản Trị", "sai")
    waits = []
    for _ in range(8):
        _unlock_now(world)
        assert_error(_login(client, "Quản Trị", "sai"), 401, "login_failed")
        waits.append(_retry_after(assert_locked(client, "Quản Trị")))
    assert [round(w / 60) for w in waits] == [2, 4, 8, 16, 32, 60, 60, 60]


def assert_locked(client: TestClient, user: str) -> httpx.Response:
    response = _login(client, user, PASSWORD)
    assert_error(response, 429, "account_locked")
    return response


def test_a_right_password_clears_the_failures(limited: tuple[TestClient, World]) -> None:
    client, world = limited
    world.staff("admin", None, "Quản Trị")
    for _ in range(4):
        _login(client, "Quản Trị", "sai")
    assert _login(client, "Quản Trị", PASSWORD).status_code == 200
    for _ in range(4):
        assert_error(_login(client, "Quản Trị", "sai"), 401, "login_failed")
    assert _login(client, "Quản Trị", PASSWORD).status_code == 200
    _unlock_now(world)


def test_unknown_accounts_lock_alike_so_a_lock_reveals_nobody(
    limited: tuple[TestClient, World],
) -> None:
    client, world = limited
    world.staff("coordinator", COMMUNE_A, "Phạm Thu Hà")
    answers = {}
    for name in ("Phạm Thu Hà", "Không Có Ai"):
        for _ in range(5):
            _login(client, name, "sai")
        answers[name] = _login(client, name, "sai")
    known, unknown = answers["Phạm Thu Hà"], answers["Không Có Ai"]
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert abs(_retry_after(known) - _retry_after(unknown)) <= 1


def test_one_address_may_fail_only_so_often(
    strict_address: tuple[TestClient, World],
) -> None:
    client, world = strict_address
    world.staff("admin", None, "Quản Trị")
    code = world.enrollment_code(world.volunteer_user(VILLAGE_A))
    assert_error(_login(client, "Ai Đó", "sai"), 401, "login_failed")
    assert_error(client.post(ENROLL, json={"code": "SAI-MA-01"}), 401, "enroll_code_invalid")
    assert_error(client.post(ENROLL, json={"code": "SAI-MA-02"}), 401, "enroll_code_invalid")
    # Three failures from this address: the right password and a valid code wait too.
    refused = _login(client, "Quản Trị", PASSWORD)
    assert_error(refused, 429, "too_many_attempts")
    assert 590 <= _retry_after(refused) <= 600
    assert_error(client.post(ENROLL, json={"code": code}), 429, "too_many_attempts")
    # Another address is not affected.
    with TestClient(client.app, headers=HEADERS, client=("10.0.0.9", 5000)) as other:
        assert other.post(ENROLL, json={"code": code}).status_code == 200
        assert _login(other, "Quản Trị", PASSWORD).status_code == 200


def _slow_admin(world: World) -> int:
    user_id = world.staff("admin", None, "Quản Trị")
    with world.factory() as s:  # a costlier hash, so each check lasts long enough to see
        s.execute(update(User).where(User.id == user_id).values(password_hash=SLOW_HASH))
        s.commit()
    return user_id


def test_a_password_is_checked_while_another_writer_holds_the_lock(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> None:
    """argon2 runs outside any transaction, so a held write lock does not delay it.

    Another connection holds SQLite's write lock for longer than a password check takes
    while a wrong password is tried. The check itself runs meanwhile; once the lock is free
    only the short write of the failure is left, far less than a check.
    """
    database = sqlite_url.removeprefix("sqlite:///")
    shutil.copyfile(migrated_sqlite, database)
    served = _serve(sqlite_url, tmp_path, lockout_after=1000)
    client, world = next(served)
    try:
        user_id = _slow_admin(world)
        checks = []
        for _ in range(2):
            started = time.monotonic()
            assert PasswordHasher().verify(SLOW_HASH, PASSWORD)
            checks.append(time.monotonic() - started)
        one_check = min(checks)
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(max_workers=1) as pool:
            guess = pool.submit(_login, client, str(user_id), "sai")
            held = wait([guess], timeout=min(4.0, one_check * 4))
            assert not held.done  # the failure is still to be written
            holder.execute("ROLLBACK")
            released = time.monotonic()
            assert guess.result().status_code == 401
            after_release = time.monotonic() - released
        holder.close()
        assert after_release < one_check / 2, (after_release, one_check)
    finally:
        served.close()


def test_a_burst_of_wrong_passwords_does_not_fail_a_push(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path
) -> None:
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    served = _serve(sqlite_url, tmp_path, lockout_after=1000)
    client, world = next(served)
    try:
        user_id = _slow_admin(world)
        volunteer = world.volunteer(VILLAGE_A)
        with ThreadPoolExecutor(max_workers=9) as pool:
            guesses = [pool.submit(_login, client, str(user_id), f"sai {n}") for n in range(8)]
            pushes = [
                pool.submit(
                    client.post,
                    PUSH,
                    json=push_body(entry(VILLAGE_A), first=1),
                    headers=volunteer.auth,
                )
            ]
            assert pushes[0].result().status_code == 200
            assert {g.result().status_code for g in guesses} == {401}
        assert len(world.entries()) == 1
    finally:
        served.close()


def test_concurrent_failures_are_all_counted(any_db_url: str, tmp_path: Path) -> None:
    """Eight wrong passwords at once lock the account that five lock one by one."""
    served = _serve(any_db_url, tmp_path, address_failures=1000)
    client, world = next(served)
    try:
        world.staff("admin", None, "Quản Trị")
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda n: _login(client, "Quản Trị", f"sai {n}"), range(8)))
        assert {a.status_code for a in answers} <= {401, 429}
        with world.factory() as s:
            counted = {row.key: row.failures for row in s.scalars(select(SignInAttempts))}
        failed = sum(a.status_code == 401 for a in answers)
        assert counted["address:testclient"] == failed
        assert [n for key, n in counted.items() if key.startswith("account:")] == [failed]
        assert_error(_login(client, "Quản Trị", PASSWORD), 429, "account_locked")
    finally:
        served.close()
