"""Test data for the store and CLI tests: a fake enrollment (no server) and valid entries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fieldkit.domain import Entry, new_entry_id
from fieldkit.domain.wire import EnrollResponse, VillageInfo

VILLAGE = "21001-1"


def fake_enrollment(user_name: str = "Lê Thị Đào") -> EnrollResponse:
    """What the server would answer to an enrollment (test data, no server)."""
    return EnrollResponse(
        device_id=str(uuid.uuid4()),
        token="tok-" + uuid.uuid4().hex,
        user_id=7,
        user_name=user_name,
        team_id=3,
        villages=[
            VillageInfo(code=VILLAGE, name="Thôn Một", commune_code="21001", commune_name="Xã A"),
            VillageInfo(code="21001-2", name="Thôn Hai", commune_code="21001"),
        ],
        server_epoch="epoch-1",
    )


def make_entry(**overrides: Any) -> Entry:
    """A valid entry; overrides change any field."""
    data: dict[str, Any] = {
        "id": new_entry_id(),
        "village": VILLAGE,
        "service": "vneid_level2",
        "outcome": "success",
        "assisted_at": datetime.now(UTC) - timedelta(minutes=5),
        "full_name": "Nguyễn Văn A",
        "id_number": "052090001234",
        "birth_year": 1990,
        "sex": "male",
        "phone": "0912345678",
        "consent": True,
    }
    data.update(overrides)
    return Entry.model_validate(data)


def id_number_for(i: int) -> str:
    """A distinct, plausible identity number per i (052, male, born 1990)."""
    return f"052090{i:06d}"
