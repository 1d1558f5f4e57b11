"""Demo entries look like real work: valid, consistent ID numbers, believable proportions."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from fieldkit.domain import decode_id_number, parse_entry
from fieldkit.domain.entry import VIETNAM_TZ
from fieldkit.domain.identity import known_prefix
from seed.demo_entries import DemoEntry, generate_entries
from seed.geography import load_province

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def entries() -> list[DemoEntry]:
    return generate_entries(load_province("52"), seed=5, count=4000, now=NOW)


def test_exact_count_and_deterministic(entries: list[DemoEntry]) -> None:
    assert len(entries) == 4000
    again = generate_entries(load_province("52"), seed=5, count=4000, now=NOW)
    assert again == entries
    other = generate_entries(load_province("52"), seed=6, count=4000, now=NOW)
    assert {e.data["id"] for e in other}.isdisjoint({e.data["id"] for e in entries})


def test_every_entry_is_valid(entries: list[DemoEntry]) -> None:
    for item in entries:
        parsed, problems = parse_entry(item.data)
        assert parsed is not None, problems
        assert parsed.village == item.village_code


def test_identity_numbers_agree_with_birth_year_and_sex(entries: list[DemoEntry]) -> None:
    prefixes: Counter[str] = Counter()
    for item in entries:
        data = item.data
        decoded = decode_id_number(data["id_number"])
        assert decoded.birth_year == data["birth_year"]
        assert decoded.sex is not None and decoded.sex.value == data["sex"]
        assert known_prefix(decoded.prefix)
        prefixes[decoded.prefix] += 1
    local = prefixes["052"] + prefixes["064"]
    assert local / len(entries) > 0.8
    assert len(prefixes) > 5  # some citizens were born elsewhere


def test_outcomes_and_reasons_in_believable_proportions(entries: list[DemoEntry]) -> None:
    outcomes = Counter(e.data["outcome"] for e in entries)
    assert 0.6 < outcomes["success"] / len(entries) < 0.8
    assert set(outcomes) == {"success", "pending", "failed", "referred", "declined"}
    reasons = Counter(r for e in entries for r in e.data["reasons"])
    assert reasons.most_common(1)[0][0] == "sim_not_own_name"


def test_youth_and_older_citizens(entries: list[DemoEntry]) -> None:
    ages = [2026 - e.data["birth_year"] for e in entries]
    assert any(16 <= a <= 30 for a in ages) and any(a > 60 for a in ages)
    assert min(ages) >= 14


def test_visits_share_an_id_and_some_citizens_are_helped_twice_elsewhere(
    entries: list[DemoEntry],
) -> None:
    visits = Counter(e.data["visit_id"] for e in entries if e.data["visit_id"])
    assert visits and max(visits.values()) >= 2
    villages_of = defaultdict(set)
    for e in entries:
        villages_of[e.data["id_number"]].add(e.village_code)
    twice = sum(1 for v in villages_of.values() if len(v) > 1)
    assert 0.005 < twice / len(villages_of) < 0.08


def test_assisted_at_is_this_year_and_never_in_the_future(entries: list[DemoEntry]) -> None:
    moments = [datetime.fromisoformat(e.data["assisted_at"]) for e in entries]
    assert max(moments) <= NOW
    assert all(m.astimezone(VIETNAM_TZ).year == 2026 for m in moments)
    months = {m.astimezone(VIETNAM_TZ).month for m in moments}
    assert len(months) >= 10


def test_on_new_year_morning_entries_stay_in_the_past() -> None:
    early = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    items = generate_entries(load_province("12"), seed=1, count=200, now=early)
    assert all(datetime.fromisoformat(e.data["assisted_at"]) <= early for e in items)


def test_reseeding_on_a_later_day_makes_the_same_ids() -> None:
    spec = load_province("12")
    today = generate_entries(spec, seed=2, count=300, now=NOW)
    later = generate_entries(spec, seed=2, count=300, now=NOW + timedelta(days=9))
    assert [e.data["id"] for e in today] == [e.data["id"] for e in later]
    assert [e.village_code for e in today] == [e.village_code for e in later]
