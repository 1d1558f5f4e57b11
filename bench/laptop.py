"""A laptop store for benchmarks: a profile made from a stand-in enrollment, no server needed."""

from __future__ import annotations

import uuid
from pathlib import Path

from fieldkit.domain import wire
from fieldkit.store import Store, create_profile
from seed.geography import load_province

PROVINCE = "52"


def province_villages(province: str = PROVINCE) -> list[wire.VillageInfo]:
    """Every village of a province (real communes, generated villages) as enrollments list them."""
    spec = load_province(province)
    names = {c.unit.code: c.unit.name for c in spec.communes}
    return [
        wire.VillageInfo(
            code=v.code,
            name=v.name,
            commune_code=v.commune_code or "",
            commune_name=names.get(v.commune_code or "", ""),
        )
        for v in spec.villages
    ]


def offline_store(home: Path, villages: list[wire.VillageInfo]) -> Store:
    """A store enrolled to a server that is not there (for timings that need no sync)."""
    enroll = wire.EnrollResponse(
        device_id=str(uuid.uuid4()),
        token="bench-token-" + uuid.uuid4().hex,
        user_id=1,
        user_name="Nguyễn Thị Bench",
        team_id=1,
        villages=villages,
        server_epoch="bench",
    )
    return create_profile(home, enroll, "http://127.0.0.1:9", name="bench")
