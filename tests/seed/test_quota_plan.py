"""Quota plans: village quotas add up exactly to their commune's, communes to the province's."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from fieldkit.domain.catalogue import COUNTED_SERVICE_CODES
from seed.geography import load_province
from seed.quota_plan import apportion, plan_quotas


@given(
    st.integers(min_value=0, max_value=10_000_000),
    st.lists(st.floats(min_value=0, max_value=1000), min_size=1, max_size=30),
)
def test_apportion_always_adds_up(total: int, weights: list[float]) -> None:
    parts = apportion(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)


def test_plan_covers_every_counted_service_and_adds_up() -> None:
    spec = load_province("52")
    plan = plan_quotas(spec, seed=3, period="2026")
    target = {(q.unit_code, q.service): q.target for q in plan}
    assert {q.period for q in plan} == {"2026"}
    villages_of = defaultdict(list)
    for village in spec.villages:
        villages_of[village.commune_code].append(village.code)
    for service in COUNTED_SERVICE_CODES:
        commune_sum = 0
        for commune in spec.communes:
            code = commune.unit.code
            assert target[(code, service)] > 0
            assert sum(target[(v, service)] for v in villages_of[code]) == target[(code, service)]
            commune_sum += target[(code, service)]
        assert target[("52", service)] == commune_sum


def test_plan_is_deterministic_per_seed() -> None:
    spec = load_province("12")
    assert plan_quotas(spec, 1, "2026") == plan_quotas(spec, 1, "2026")
    assert plan_quotas(spec, 1, "2026") != plan_quotas(spec, 2, "2026")
