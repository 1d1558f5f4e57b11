"""Demo quotas sized from the demo entries, so the report reads like Bình Định's 2023 campaign.

The province ends at about 118 % of its portal-account quota (74,390 / 63,226) and 172 % of its
quota for accounts of citizens outside youth age (113,813 / 66,000), whatever the number of
demo entries; each commune's quota is drawn around that, so some are ahead and some behind.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from fieldkit.domain.catalogue import COUNTED_SERVICE_CODES, Outcome
from fieldkit.domain.people import age_group
from seed.demo_entries import DemoEntry
from seed.geography import ProvinceSpec
from seed.quota_plan import QuotaSpec, apportion

ACCOUNTS_REACHED = 74_390 / 63_226
"""Portal accounts against their quota in the article (118 %)."""
NON_YOUTH_REACHED = 113_813 / 66_000
"""Accounts for citizens outside youth age against their group's quota (172 %)."""
OTHERS_REACHED = {
    "vneid_level1": 1.05,
    "vneid_level2": 1.10,
    "dvc_transaction": 0.90,
    "cashless_payment": 0.85,
}
"""How far the other services are along (the article gives no quota for them)."""
SPREAD = (0.6, 1.4)
"""A commune's progress is the province's times a factor drawn from this range."""

Counts = dict[tuple[str, str], int]
"""(village code, service or "dvc_account:non_youth") -> distinct citizens counted there."""
NON_YOUTH_ACCOUNTS = "dvc_account:non_youth"


def expected_counts(entries: Iterable[DemoEntry]) -> Counts:
    """Distinct citizens each village will count per service, as dedupe will count them.

    A citizen counts once per service, in the village of their earliest success.
    """
    first: dict[tuple[str, str], DemoEntry] = {}
    ordered = sorted(entries, key=lambda e: (e.data["assisted_at"], e.data["id"]))
    for entry in ordered:
        data = entry.data
        if data["outcome"] == Outcome.SUCCESS.value:
            first.setdefault((data["id_number"], data["service"]), entry)
    counts: Counts = defaultdict(int)
    for (_, service), entry in first.items():
        counts[(entry.village_code, service)] += 1
        year = int(entry.data["assisted_at"][:4])
        if service == "dvc_account" and age_group(entry.data["birth_year"], year) != "youth":
            counts[(entry.village_code, NON_YOUTH_ACCOUNTS)] += 1
    return counts


def _plan_one(
    province: ProvinceSpec,
    seed: int,
    period: str,
    counts: Counts,
    measure: str,
    reached: float,
) -> list[QuotaSpec]:
    """Quotas for one service (or the non-youth group) from what the entries will achieve."""
    service, _, group = measure.partition(":")
    group = group or "all"
    achieved = sum(counts.get((v.code, measure), 0) for v in province.villages)
    if achieved == 0:
        return []
    total = max(1, round(achieved / reached))
    weights: list[float] = []
    for commune in province.communes:
        rng = random.Random(f"campaign:{seed}:{commune.unit.code}:{measure}:{period}")
        done = sum(counts.get((v.code, measure), 0) for v in commune.villages)
        weights.append((done + 1) / rng.uniform(*SPREAD))
    specs = [QuotaSpec(province.unit.code, service, period, total, group)]
    for commune, target in zip(province.communes, apportion(total, weights), strict=True):
        specs.append(QuotaSpec(commune.unit.code, service, period, target, group))
        village_weights = [counts.get((v.code, measure), 0) + 1.0 for v in commune.villages]
        for village, part in zip(commune.villages, apportion(target, village_weights), strict=True):
            specs.append(QuotaSpec(village.code, service, period, part, group))
    return specs


def plan_campaign_quotas(
    province: ProvinceSpec, seed: int, period: str, entries: Iterable[DemoEntry]
) -> list[QuotaSpec]:
    """Quotas for every counted service and for non-youth accounts, sized from the entries."""
    counts = expected_counts(entries)
    reached = {"dvc_account": ACCOUNTS_REACHED, NON_YOUTH_ACCOUNTS: NON_YOUTH_REACHED}
    for service in COUNTED_SERVICE_CODES:
        reached.setdefault(service, OTHERS_REACHED.get(service, 1.0))
    specs: list[QuotaSpec] = []
    for measure, share in reached.items():
        specs += _plan_one(province, seed, period, counts, measure, share)
    return specs
