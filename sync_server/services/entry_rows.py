"""Who may write where, and the entries row the server stores for a validated entry."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldkit.domain import VIETNAM_TZ, Entry, age_group, mask_id_number
from sync_server.db.models import Device, Unit, User

EDITABLE = (
    "village_code", "commune_code", "province_code", "service", "outcome", "reasons",
    "assisted_at", "period", "citizen_key", "id_masked", "full_name", "birth_year", "sex",
    "phone", "consent", "consent_method", "device_owner", "note", "visit_id", "age_group",
)  # fmt: skip
"""Entry columns an edit may change (id, owner, review and counting are the server's)."""


_TEAM_VILLAGE = text("SELECT village_code FROM teams WHERE id = :team")
"""Plain SQL: every push reads it (an ORM select costs several times the query)."""


@dataclass(frozen=True)
class Territory:
    """The villages a device's user may record entries for."""

    villages: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    provinces: frozenset[str] = frozenset()
    everywhere: bool = False

    def allows(self, village: Unit) -> bool:
        """Whether entries for this village are this user's to write."""
        return (
            self.everywhere
            or village.code in self.villages
            or village.commune_code in self.communes
            or village.province_code in self.provinces
        )


def territory_of(session: Session, device: Device) -> Territory:
    """A volunteer writes for their team's village; officers for their unit's villages."""
    user = session.get(User, device.user_id)
    if user is None:
        return Territory()
    if user.role == "admin":
        return Territory(everywhere=True)
    if user.team_id is not None:
        village = session.connection().execute(_TEAM_VILLAGE, {"team": user.team_id}).scalar()
        return Territory(villages=frozenset([village] if village else []))
    if user.unit_code is None:
        return Territory()
    if user.role == "province":
        return Territory(provinces=frozenset([user.unit_code]))
    if user.role == "coordinator":
        return Territory(communes=frozenset([user.unit_code]))
    return Territory(villages=frozenset([user.unit_code]))


def citizen_hasher(secret: str) -> Callable[[str], str]:
    """citizen_key() for one secret: HMAC-SHA256 (RFC 2104) with its two padded-key hashes
    computed once, so each key costs four C calls (hmac's own copy() costs twice as much)."""
    block = hashlib.sha256().block_size
    secret_bytes = secret.encode()
    if len(secret_bytes) > block:
        secret_bytes = hashlib.sha256(secret_bytes).digest()
    padded = secret_bytes.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded)).copy

    def key(id_number: str) -> str:
        h = inner()
        h.update(id_number.encode())
        o = outer()
        o.update(h.digest())
        return o.hexdigest()

    return key


@dataclass(frozen=True)
class Owner:
    """The writing device and where one of its entries lives, read once per batch."""

    device_id: str
    user_id: int
    village_code: str
    commune_code: str
    province_code: str
    village_name: str = ""

    @classmethod
    def of(cls, device: Device, village: Unit) -> Owner:
        """From the ORM rows."""
        return cls(
            device.id,
            device.user_id,
            village.code,
            village.commune_code or "",
            village.province_code or "",
            village.name,
        )

    def columns(self, received_at: datetime) -> dict[str, Any]:
        """The row columns that come from the device, the village and the server, not the entry."""
        return {
            "device_id": self.device_id,
            "user_id": self.user_id,
            "village_code": self.village_code,
            "commune_code": self.commune_code,
            "province_code": self.province_code,
            "consent": True,
            "counted": False,
            "review_status": "pending",
            "received_at": received_at,
        }


def entry_row(
    entry: Entry,
    owner: Owner,
    citizen_key: Callable[[str], str],
    received_at: datetime,
    entry_id: str = "",
) -> dict[str, Any]:
    """The entries row of a validated entry: the full identity number becomes key + mask."""
    local = entry.assisted_at.astimezone(VIETNAM_TZ)
    # Enum members' _value_ is the plain attribute behind .value (a descriptor call per use).
    return {
        "id": entry_id or str(entry.id),
        "device_id": owner.device_id,
        "user_id": owner.user_id,
        "village_code": owner.village_code,
        "commune_code": owner.commune_code,
        "province_code": owner.province_code,
        "service": entry.service,
        "outcome": entry.outcome._value_,
        "reasons": ",".join(entry.reasons),
        "assisted_at": entry.assisted_at,
        "period": str(local.year),
        "citizen_key": citizen_key(entry.id_number),
        "id_masked": mask_id_number(entry.id_number),
        "full_name": entry.full_name,
        "birth_year": entry.birth_year,
        "sex": entry.sex._value_,
        "phone": entry.phone,
        "consent": entry.consent,
        "consent_method": entry.consent_method._value_,
        "device_owner": entry.device_owner._value_,
        "note": entry.note,
        "visit_id": str(entry.visit_id) if entry.visit_id else None,
        "rev": entry.rev,
        "age_group": age_group(entry.birth_year, local.year)._value_,
        "counted": False,
        "review_status": "pending",
        "received_at": received_at,
    }
