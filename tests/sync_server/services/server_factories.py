"""Rows the service tests need (units, teams, volunteers, devices) and entry payloads."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fieldkit.domain import new_entry_id, wire
from sync_server.db.models import Device, Team, Unit, User

PROVINCE = "52"
BASE_TIME = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class Geography:
    """A province with communes and villages (codes only)."""

    province: str
    communes: list[str]
    villages: dict[str, list[str]]

    def all_villages(self) -> list[str]:
        """Every village code, commune by commune."""
        return [v for c in self.communes for v in self.villages[c]]


def make_geography(
    session: Session, communes: int = 2, villages_per_commune: int = 2, province: str = PROVINCE
) -> Geography:
    """A province, its communes and their villages."""
    session.add(Unit(code=province, name="Gia Lai", level="province", province_code=province))
    geo = Geography(province, [], {})
    for c in range(communes):
        commune = f"{21000 + c * 10}"
        session.add(
            Unit(
                code=commune,
                name=f"Xã Số {c + 1}",
                level="commune",
                parent_code=province,
                province_code=province,
                commune_code=commune,
            )
        )
        geo.communes.append(commune)
        geo.villages[commune] = []
        for v in range(villages_per_commune):
            code = f"{commune}-{v + 1}"
            session.add(
                Unit(
                    code=code,
                    name=f"Thôn {v + 1} xã {c + 1}",
                    level="village",
                    parent_code=commune,
                    province_code=province,
                    commune_code=commune,
                )
            )
            geo.villages[commune].append(code)
    session.flush()
    return geo


def make_device(
    session: Session, village: str | None, role: str = "volunteer", unit: str | None = None
) -> Device:
    """A user (a team's volunteer when village is given) with one enrolled device."""
    team_id = None
    if village is not None:
        team = Team(village_code=village, name=f"Tổ {village}")
        session.add(team)
        session.flush()
        team_id = team.id
    user = User(name="Nguyễn Văn An", role=role, unit_code=unit or village, team_id=team_id)
    session.add(user)
    session.flush()
    device_id = str(uuid.uuid4())
    device = Device(
        id=device_id,
        user_id=user.id,
        token_hash=hashlib.sha256(device_id.encode()).hexdigest(),
        name="laptop",
        created_at=BASE_TIME - timedelta(days=30),  # enrolled before the entries it sends
    )
    session.add(device)
    session.flush()
    return device


def id_number(n: int, birth_year: int = 2001, female: bool = False) -> str:
    """A plausible 12-digit identity number for citizen n."""
    century = (0 if birth_year < 2000 else 2) + int(female)
    return f"052{century}{birth_year % 100:02d}{n % 1_000_000:06d}"


def entry_data(
    village: str,
    citizen: int,
    *,
    service: str = "vneid_level1",
    outcome: str = "success",
    at: datetime | None = None,
    birth_year: int = 2001,
    entry_id: uuid.UUID | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid entry payload as a device sends it."""
    data: dict[str, Any] = {
        "id": str(entry_id or new_entry_id()),
        "village": village,
        "service": service,
        "outcome": outcome,
        "reasons": [] if outcome == "success" else ["no_network"],
        "assisted_at": (at or BASE_TIME).isoformat(),
        "full_name": "Trần Thị Bình",
        "id_number": id_number(citizen, birth_year),
        "birth_year": birth_year,
        "sex": "male",
        "phone": "0912345678",
        "consent": True,
    }
    data.update(extra)
    return data


def mutations(
    payloads: Iterable[dict[str, Any]], start: int = 1, base_rev: int | None = None
) -> list[wire.Mutation]:
    """Outbox rows with consecutive mutation ids."""
    return [
        wire.Mutation(mutation_id=start + i, entry=p, base_rev=base_rev)
        for i, p in enumerate(payloads)
    ]


def minutes(n: int) -> datetime:
    """BASE_TIME plus n minutes."""
    return BASE_TIME + timedelta(minutes=n)
