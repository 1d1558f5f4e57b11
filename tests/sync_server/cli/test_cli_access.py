"""`sync-server device list`, `code list|revoke` and `user deactivate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from sync_server.db.models import Device, User
from sync_server.services.devices import AuthError, EnrollmentError, enroll
from sync_server.services.sign_in import Throttled, check_password

CliRunner = Callable[..., Any]


def _village(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        code = conn.execute(
            text("select code from units where level = 'village' order by code limit 1")
        ).scalar_one()
    engine.dispose()
    return str(code)


def _add_volunteer(cli: CliRunner, url: str, name: str = "Lò Thị Mai") -> dict[str, Any]:
    result = cli("--db", url, "user", "add", "--role", "volunteer", "--unit", _village(url),
                 "--name", name, "--json")  # fmt: skip
    assert result.code == 0, result.err
    added: dict[str, Any] = json.loads(result.out)
    return added


def _enroll(url: str, code: str) -> str:
    engine = create_engine(url)
    with Session(engine) as session:
        device_id = enroll(session, code, "Máy tổ 3").device_id
        session.commit()
    engine.dispose()
    return device_id


def test_device_list_shows_laptops_their_volunteer_and_revocation(
    cli: CliRunner, seeded_url: str
) -> None:
    added = _add_volunteer(cli, seeded_url)
    device_id = _enroll(seeded_url, added["code"])
    listed = cli("--db", seeded_url, "device", "list", "--json")
    assert listed.code == 0, listed.err
    rows = {r["device_id"]: r for r in json.loads(listed.out)}
    mine = rows[device_id]
    assert (mine["user_id"], mine["user_name"], mine["name"]) == (
        added["user_id"],
        "Lò Thị Mai",
        "Máy tổ 3",
    )
    assert mine["revoked"] is False and mine["last_entry_at"] is None
    assert any(r["last_entry_at"] for r in rows.values())  # the seeded laptops pushed entries
    assert cli("--db", seeded_url, "device", "revoke", device_id).code == 0
    after = {
        r["device_id"]: r
        for r in json.loads(cli("--db", seeded_url, "device", "list", "--json").out)
    }
    assert after[device_id]["revoked"] is True
    active = json.loads(cli("--db", seeded_url, "device", "list", "--active", "--json").out)
    assert device_id not in {r["device_id"] for r in active}
    human = cli("--db", seeded_url, "device", "list")
    assert human.code == 0 and "Lò Thị Mai" in human.out and "thu hồi" in human.out


def test_codes_expire_after_the_configured_days_and_can_be_revoked(
    cli: CliRunner, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_SERVER_ENROLL_CODE_DAYS", "2")
    added = _add_volunteer(cli, seeded_url)
    listed = cli("--db", seeded_url, "code", "list", "--json")
    assert listed.code == 0, listed.err
    mine = [c for c in json.loads(listed.out) if c["user_id"] == added["user_id"]]
    assert len(mine) == 1
    lifetime = datetime.fromisoformat(mine[0]["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=2) - timedelta(minutes=5) < lifetime <= timedelta(days=2)
    assert added["code"] not in listed.out  # codes are stored hashed and never shown again
    revoked = cli("--db", seeded_url, "code", "revoke", mine[0]["code_id"])
    assert revoked.code == 0, revoked.err
    assert added["user_id"] not in {
        c["user_id"] for c in json.loads(cli("--db", seeded_url, "code", "list", "--json").out)
    }
    with pytest.raises(EnrollmentError):
        _enroll(seeded_url, added["code"])
    again = cli("--db", seeded_url, "code", "revoke", mine[0]["code_id"])
    assert again.code == 2 and "code list" in again.err


def test_a_code_can_be_revoked_by_the_code_itself(cli: CliRunner, seeded_url: str) -> None:
    added = _add_volunteer(cli, seeded_url)
    spoken = "-".join((added["code"][:4].lower(), added["code"][4:].lower()))
    assert cli("--db", seeded_url, "code", "revoke", spoken).code == 0
    human = cli("--db", seeded_url, "code", "list")
    assert human.code == 0 and "Lò Thị Mai" not in human.out


def test_user_deactivate_revokes_laptops_and_codes(cli: CliRunner, seeded_url: str) -> None:
    added = _add_volunteer(cli, seeded_url)
    device_id = _enroll(seeded_url, added["code"])
    result = cli("--db", seeded_url, "user", "deactivate", str(added["user_id"]), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["devices_revoked"] == 1
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        user = session.get(User, added["user_id"])
        device = session.scalars(select(Device).where(Device.id == device_id)).one()
        assert user is not None and user.deactivated_at is not None
        assert device.revoked_at is not None
    engine.dispose()
    again = cli("--db", seeded_url, "user", "deactivate", str(added["user_id"]))
    assert again.code == 0 and "0" in again.out
    unknown = cli("--db", seeded_url, "user", "deactivate", "999999")
    assert unknown.code == 2 and "999999" in unknown.err and "unexpected" not in unknown.err


def test_user_unlock_lifts_a_sign_in_lock(cli: CliRunner, seeded_url: str) -> None:
    added = cli("--db", seeded_url, "user", "add", "--role", "admin", "--unit", "12",
                "--name", "Quản Trị", "--json")  # fmt: skip
    assert added.code == 0, added.err
    user_id, password = json.loads(added.out)["user_id"], json.loads(added.out)["password"]
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        for _ in range(5):
            with pytest.raises(AuthError):
                check_password(session, str(user_id), "sai", "10.0.0.7")
        with pytest.raises(Throttled):
            check_password(session, str(user_id), password, "10.0.0.7")
    unlocked = cli("--db", seeded_url, "user", "unlock", str(user_id))
    assert unlocked.code == 0 and "unlocked" in unlocked.out
    with Session(engine) as session:
        assert check_password(session, str(user_id), password, "10.0.0.7").id == user_id
    engine.dispose()
    again = cli("--db", seeded_url, "user", "unlock", str(user_id))
    assert again.code == 0 and "not locked" in again.out
