"""Test data for the API tests, made with the ORM: units, teams, users, devices, entries."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.domain import new_entry_id, wire
from fieldkit.store.signing import new_signing_key, public_key_of
from sync_server.db.models import Device, EnrollmentCode, Entry, Team, Unit, User
from sync_server.services import devices

PROVINCE = "52"
COMMUNE_A = "21550"
COMMUNE_B = "21553"
VILLAGE_A = "21550-1"
VILLAGE_A2 = "21550-2"
VILLAGE_B = "21553-1"
MAX_BODY = 300_000
"""The body cap the test apps run with."""
HEADERS = {wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION}
_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@dataclass
class Volunteer:
    """A volunteer with one enrolled device."""

    user_id: int
    device_id: str
    token: str
    village: str
    signing_key: str = ""
    """The laptop's private bundle-signing key (the server holds the public half)."""

    @property
    def auth(self) -> dict[str, str]:
        """Headers for this device's requests."""
        return {"Authorization": f"Bearer {self.token}"}


class World:
    """Builds rows for a test through its own sessions (each call commits)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def units(self) -> None:
        """Province 52 with two communes; commune A has two villages, commune B one."""
        with self.factory() as s:
            s.add(Unit(code=PROVINCE, name="Gia Lai", level="province"))
            s.flush()
            for code, name in ((COMMUNE_A, "Xã An Nhơn"), (COMMUNE_B, "Xã Tây Sơn")):
                s.add(
                    Unit(
                        code=code,
                        name=name,
                        level="commune",
                        parent_code=PROVINCE,
                        province_code=PROVINCE,
                    )
                )
            s.flush()
            for code, name in ((VILLAGE_A, "Thôn 1"), (VILLAGE_A2, "Thôn 2"), (VILLAGE_B, "Ấp 1")):
                commune = code.split("-")[0]
                s.add(
                    Unit(
                        code=code,
                        name=name,
                        level="village",
                        parent_code=commune,
                        commune_code=commune,
                        province_code=PROVINCE,
                    )
                )
            s.commit()

    def volunteer_user(self, village: str, name: str = "Trần Thị Bình") -> int:
        """A volunteer in a new team of a village; returns the user id."""
        with self.factory() as s:
            team = Team(village_code=village, name=f"Tổ {village}")
            s.add(team)
            s.flush()
            user = User(name=name, role="volunteer", team_id=team.id)
            s.add(user)
            s.commit()
            return user.id

    def enrollment_code(self, user_id: int, valid_for: timedelta = timedelta(days=7)) -> str:
        """A fresh one-time enrollment code for a user (expired if valid_for is negative)."""
        code = secrets.token_hex(5).upper()
        with self.factory() as s:
            now = datetime.now(UTC)
            s.add(
                EnrollmentCode(
                    code_hash=devices.code_hash(code),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + valid_for,
                )
            )
            s.commit()
        return code

    def device(
        self, user_id: int, name: str = "laptop", public_key: str | None = None
    ) -> tuple[str, str]:
        """An enrolled device for a user; returns (device id, token)."""
        token = secrets.token_urlsafe(32)
        with self.factory() as s:
            device = Device(
                id=str(new_entry_id()),
                user_id=user_id,
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                name=name,
                public_key=public_key,
            )
            s.add(device)
            s.commit()
            return device.id, token

    def volunteer(self, village: str, name: str = "Trần Thị Bình") -> Volunteer:
        """A volunteer of a village with an enrolled device."""
        user_id = self.volunteer_user(village, name)
        key = new_signing_key()
        device_id, token = self.device(user_id, public_key=public_key_of(key))
        return Volunteer(user_id, device_id, token, village, key)

    def staff(self, role: str, unit: str | None, name: str, password: str = "mật khẩu 123") -> int:
        """A coordinator / province officer / admin with a password."""
        with self.factory() as s:
            user = User(name=name, role=role, unit_code=unit, password_hash=_hasher.hash(password))
            s.add(user)
            s.commit()
            return user.id

    def revoke(self, device_id: str) -> None:
        """Revoke a device the way `sync-server device revoke` does."""
        with self.factory() as s:
            devices.revoke(s, device_id)
            s.commit()

    def entries(self) -> list[tuple[Any, ...]]:
        """Every stored entry as a tuple of its columns (to prove nothing changed)."""
        with self.factory() as s:
            rows = s.scalars(select(Entry).order_by(Entry.id)).all()
            return [tuple(getattr(row, c.key) for c in Entry.__table__.columns) for row in rows]

    def device_row(self, device_id: str) -> Device:
        """A device as stored now."""
        with self.factory() as s:
            device = s.get(Device, device_id)
            assert device is not None
            return device


def login(client: TestClient, user: str, password: str = "mật khẩu 123") -> dict[str, str]:
    """Log a staff user in; returns the Authorization header."""
    response = client.post("/api/v1/login", json={"user": user, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


_ids = iter(range(1, 10**6))


def id_number(birth_year: int = 1990, female: bool = False) -> str:
    """A distinct, valid-looking identity number (prefix 052, right century/sex digit)."""
    digit = (0 if birth_year < 2000 else 2) + (1 if female else 0)
    return f"052{digit}{birth_year % 100:02d}{next(_ids):06d}"


def entry(village: str, **fields: Any) -> dict[str, Any]:
    """A valid entry as a device sends it; override any field."""
    data: dict[str, Any] = {
        "id": str(new_entry_id()),
        "village": village,
        "service": "vneid_level1",
        "outcome": "success",
        "reasons": [],
        "assisted_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "full_name": "Nguyễn Văn An",
        "id_number": id_number(),
        "birth_year": 1990,
        "sex": "male",
        "phone": "0912345678",
        "consent": True,
    }
    data.update(fields)
    return data


def push_body(*entries: dict[str, Any], first: int = 1) -> dict[str, Any]:
    """A push request with consecutive mutation ids starting at `first`."""
    return {
        "mutations": [{"mutation_id": first + i, "entry": item} for i, item in enumerate(entries)]
    }


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the error envelope with this status and code and a real message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) >= {"code", "message"}
    assert body["error"]["code"] == code, body
    assert len(body["error"]["message"]) > 10
    return dict(body)
