"""`sync-server user add` for every role, and `device revoke`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from sync_server.db.models import Device, User
from sync_server.services.devices import enroll
from sync_server.services.passwords import password_matches

CliRunner = Callable[..., Any]


def _first(url: str, level: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        from sqlalchemy import text

        code = conn.execute(
            text("select code from units where level = :l order by code limit 1"), {"l": level}
        ).scalar_one()
    engine.dispose()
    return str(code)


@pytest.mark.parametrize("role", ["volunteer", "coordinator", "province", "admin"])
def test_user_add_json_for_each_role(cli: CliRunner, seeded_url: str, role: str) -> None:
    level = {"volunteer": "village", "coordinator": "commune"}.get(role, "province")
    unit = _first(seeded_url, level)
    result = cli("--db", seeded_url, "user", "add", "--role", role, "--unit", unit,
                 "--name", "Lò Thị Mai", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    keys = {"code"} if role == "volunteer" else {"password", "url"}
    assert set(data) == {"user_id", "login", *keys}
    assert data["login"] == "lo.thi.mai"
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        user = session.get(User, data["user_id"])
        assert user is not None and user.role == role and user.unit_code == unit
        if role == "volunteer":
            assert len(data["code"]) == 8 and data["code"].isalnum()
            assert user.team_id is not None
            enrolled = enroll(session, data["code"], "laptop")  # H3's enrollment accepts it
            assert enrolled.user_id == user.id
        else:
            assert user.password_hash and user.password_hash.startswith("$argon2")
            assert data["password"] not in user.password_hash
            assert user.login == "lo.thi.mai" and user.must_change_password
            assert data["url"] == "http://127.0.0.1:8000/login"
    engine.dispose()


def test_human_output_prints_the_secret_once(cli: CliRunner, seeded_url: str) -> None:
    unit = _first(seeded_url, "village")
    result = cli("--db", seeded_url, "user", "add", "--role", "volunteer", "--unit", unit,
                 "--name", "Giàng A Páo")  # fmt: skip
    assert result.code == 0
    assert result.out.startswith("Mã đăng ký")


def test_staff_output_names_login_password_and_address(
    cli: CliRunner, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_SERVER_PUBLIC_URL", "http://10.0.0.5:8000/")
    unit = _first(seeded_url, "commune")
    for expected in ("tran.van.an", "tran.van.an2"):
        result = cli("--db", seeded_url, "user", "add", "--role", "coordinator", "--unit", unit,
                     "--name", "Trần Văn  An")  # fmt: skip
        assert result.code == 0, result.err
        lines = result.out.splitlines()
        assert lines[0] == f"Tên đăng nhập / login: {expected}"
        assert lines[1].startswith("Mật khẩu dùng một lần / one-time password: ")
        assert lines[2] == "Mở / open: http://10.0.0.5:8000/login"


@pytest.mark.parametrize(
    ("role", "unit", "needle"),
    [
        ("volunteer", "12", "village"),
        ("coordinator", "12", "commune"),
        ("province", "UNIT-NOPE", "Unknown unit"),
        ("chief", "12", "Invalid role"),
    ],
)
def test_user_add_refusals(
    cli: CliRunner, seeded_url: str, role: str, unit: str, needle: str
) -> None:
    result = cli("--db", seeded_url, "user", "add", "--role", role, "--unit", unit,
                 "--name", "Ai Đó")  # fmt: skip
    assert result.code == 2
    assert needle in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("name", ["", "   ", "a\x00b", "x" * 300])
def test_user_add_refuses_bad_names(cli: CliRunner, seeded_url: str, name: str) -> None:
    result = cli("--db", seeded_url, "user", "add", "--role", "province", "--unit", "12",
                 "--name", name)  # fmt: skip
    assert result.code == 2


def test_device_revoke(cli: CliRunner, seeded_url: str) -> None:
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        device_id = session.scalars(select(Device.id).limit(1)).one()
    assert cli("--db", seeded_url, "device", "revoke", device_id).code == 0
    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None and device.revoked_at is not None
    engine.dispose()
    missing = cli("--db", seeded_url, "device", "revoke", "no-such-device")
    assert missing.code == 2 and "Unknown device" in missing.err


def test_reset_password_gives_a_one_time_password_for_a_lost_admin(
    cli: CliRunner, seeded_url: str
) -> None:
    province = _first(seeded_url, "province")
    added = json.loads(cli("--db", seeded_url, "user", "add", "--role", "admin", "--unit",
                           province, "--name", "Quản Trị", "--json").out)  # fmt: skip
    result = cli("--db", seeded_url, "user", "reset-password", added["login"], "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["login"] == "quan.tri" and data["password"] != added["password"]
    engine = create_engine(seeded_url)
    with Session(engine) as session:
        user = session.get(User, added["user_id"])
        assert user is not None and user.must_change_password
        assert password_matches(user.password_hash, data["password"])
        assert not password_matches(user.password_hash, added["password"])
    engine.dispose()
    volunteer = _first(seeded_url, "village")
    code = json.loads(cli("--db", seeded_url, "user", "add", "--role", "volunteer", "--unit",
                          volunteer, "--name", "Giàng A Páo", "--json").out)  # fmt: skip
    refused = cli("--db", seeded_url, "user", "reset-password", str(code["user_id"]))
    assert refused.code == 2 and "mã đăng ký" in refused.err
    unknown = cli("--db", seeded_url, "user", "reset-password", "ai.do")
    assert unknown.code == 2 and "ai.do" in unknown.err
