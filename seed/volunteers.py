"""Demo teams: 3–5 volunteers (mostly Youth Union members) per village."""

from __future__ import annotations

import random
from dataclasses import dataclass

from fieldkit.domain.identity import Sex
from seed.geography import ProvinceSpec
from seed.people import NameMaker
from seed.villages import is_highland

YOUTH_UNION_SHARE = 0.85
"""Most volunteers are Youth Union members; the rest are other villagers who help."""


@dataclass(frozen=True)
class VolunteerSpec:
    """One volunteer of a village's team; `slot` orders them inside the team."""

    village_code: str
    slot: int
    name: str
    youth_union: bool = True


def team_name(village_name: str) -> str:
    """The team's display name, e.g. "Tổ công nghệ số cộng đồng Thôn 1"."""
    return f"Tổ công nghệ số cộng đồng {village_name}"


def plan_volunteers(province: ProvinceSpec, seed: int) -> dict[str, list[VolunteerSpec]]:
    """Village code -> its team's volunteers, the same for the same seed."""
    names = NameMaker(f"volunteers:{seed}")
    rng = random.Random(f"volunteers:{seed}")
    union = random.Random(f"youth-union:{seed}")  # its own draws: names stay as they were
    plan: dict[str, list[VolunteerSpec]] = {}
    for commune in province.communes:
        highland = is_highland(int(commune.unit.code))
        for village in commune.villages:
            size = rng.randint(3, 5)
            plan[village.code] = [
                VolunteerSpec(
                    village.code,
                    slot,
                    names.full_name(rng.choice((Sex.MALE, Sex.FEMALE)), highland),
                    union.random() < YOUTH_UNION_SHARE,
                )
                for slot in range(size)
            ]
    return plan
