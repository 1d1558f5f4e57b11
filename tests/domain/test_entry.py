"""Entry validation: hard errors carry codes; warnings are separate and confirmable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fieldkit.domain import Entry, entry_warnings, new_entry_id, parse_entry, period_of


def raw(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(new_entry_id()),
        "village": "21001-1",
        "service": "vneid_level1",
        "outcome": "success",
        "assisted_at": "2026-03-01T09:30:00+07:00",
        "full_name": "Nguyễn Văn An",
        "id_number": "052090001234",
        "birth_year": 1990,
        "sex": "male",
        "phone": "0912345678",
        "consent": True,
    }
    data.update(over)
    return data


def codes(**over: Any) -> list[str]:
    entry, problems = parse_entry(raw(**over))
    assert entry is None
    return [p.code for p in problems]


def test_good_entry_parses_and_normalises() -> None:
    entry, problems = parse_entry(raw(phone="+84 912 345 678", id_number="052-090-001-234"))
    assert problems == [] and entry is not None
    assert entry.phone == "0912345678" and entry.id_number == "052090001234"
    assert entry.period == "2026" and entry_warnings(entry) == []


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"consent": False}, "consent.required"),
        ({"outcome": "failed"}, "reasons.required"),
        ({"reasons": ["no_network"]}, "reasons.not_allowed"),
        ({"id_number": "12345"}, "id_number.length"),
        ({"phone": "01623456789"}, "phone.old_11_digit"),
        ({"note": "OTP 654321"}, "note.otp"),
        ({"note": "số 052090001234"}, "note.id_number"),
        (
            {"assisted_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
            "assisted_at.future",
        ),
        ({"assisted_at": "2026-03-01T09:30:00"}, "entry.invalid"),
        ({"outcome": "maybe"}, "entry.invalid"),
        ({"reasons": ["bogus"], "outcome": "failed"}, "entry.invalid"),
        ({"village": "../etc"}, "entry.invalid"),
        ({"birth_year": "old"}, "entry.invalid"),
        ({"extra_field": 1}, "entry.invalid"),
    ],
)
def test_hard_errors_have_codes(over: dict[str, Any], code: str) -> None:
    assert code in codes(**over)


def test_period_uses_vietnam_time() -> None:
    assert period_of(datetime(2025, 12, 31, 18, 0, tzinfo=UTC)) == "2026"


def test_warnings_for_volunteer_phone_and_child() -> None:
    entry = Entry.model_validate(
        raw(device_owner="volunteer", birth_year=2019, id_number="052219001234")
    )
    assert {p.code for p in entry_warnings(entry)} == {
        "device_owner.volunteer",
        "birth_year.under_14",
    }


def test_ids_are_time_ordered_uuid7() -> None:
    ids = [new_entry_id() for _ in range(50)]
    assert all(i.version == 7 for i in ids)
    assert [str(i)[:8] for i in ids] == sorted(str(i)[:8] for i in ids)
