"""Demo quotas: commune targets per counted service, split exactly over villages and summed up."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from fieldkit.domain.catalogue import COUNTED_SERVICE_CODES
from seed.geography import CommuneKind, ProvinceSpec

# Yearly target for an average commune (Bình Định 2023: ~400 portal accounts per commune).
_BASE_TARGET: dict[str, int] = {
    "vneid_level1": 300,
    "vneid_level2": 450,
    "dvc_account": 400,
    "dvc_transaction": 150,
    "cashless_payment": 200,
}
_KIND_FACTOR = {CommuneKind.PHUONG: 1.4, CommuneKind.XA: 1.0, CommuneKind.DAC_KHU: 0.8}


@dataclass(frozen=True)
class QuotaSpec:
    """One target for one unit, service, period and target group."""

    unit_code: str
    service: str
    period: str
    target: int
    group: str = "all"


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder): the parts add up exactly."""
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum <= 0:
        weights = [1.0] * len(weights)
        weight_sum = float(len(weights))
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def plan_quotas(province: ProvinceSpec, seed: int, period: str) -> list[QuotaSpec]:
    """Commune, village and province quotas for every counted service of the period."""
    specs: list[QuotaSpec] = []
    services = [s for s in COUNTED_SERVICE_CODES if s in _BASE_TARGET] + [
        s for s in COUNTED_SERVICE_CODES if s not in _BASE_TARGET
    ]
    province_total = dict.fromkeys(services, 0)
    for commune in province.communes:
        rng = random.Random(f"quotas:{seed}:{commune.unit.code}:{period}")
        size = rng.uniform(0.6, 1.6) * _KIND_FACTOR[commune.kind]
        weights = [rng.uniform(0.5, 1.5) for _ in commune.villages]
        for service in services:
            base = _BASE_TARGET.get(service, 200)
            target = max(10, round(base * size * rng.uniform(0.85, 1.15) / 10) * 10)
            province_total[service] += target
            specs.append(QuotaSpec(commune.unit.code, service, period, target))
            for village, part in zip(commune.villages, apportion(target, weights), strict=True):
                specs.append(QuotaSpec(village.code, service, period, part))
    for service in services:
        specs.append(QuotaSpec(province.unit.code, service, period, province_total[service]))
    return specs
