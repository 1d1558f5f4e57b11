"""The well-formed fast path agrees with the full Entry validation, entry by entry.

For every input the fast path either steps aside (None) or gives exactly the row values the
full path (parse_entry + entry_row) gives; it never accepts what the full path refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.entries import EntryMaker
from fieldkit.domain import Entry, parse_entry
from sync_server.db.bulk import sqlite_datetime, sqlite_params
from sync_server.services.admission import ENTRIES
from sync_server.services.entry_rows import Owner, citizen_hasher, entry_row
from sync_server.services.well_formed import RowMaker

NOW = datetime.now(UTC)
VILLAGE = "52-1"
KEY = citizen_hasher("s" * 64)
OWNER = Owner("device", 7, VILLAGE, "52-0", "52", "Làng")
MAKER = EntryMaker(seed=11, villages=[VILLAGE], now=NOW)
VALID = [Entry.model_validate(d).model_dump(mode="json") for d in MAKER.data(300)]
ROW_ONLY = ("village",)
FROM_OWNER = set(OWNER.columns(NOW))


def full_path(data: Any) -> dict[str, Any] | None:
    """What the server stored before the fast path existed (minus the owner's columns)."""
    entry, _ = parse_entry(data) if isinstance(data, dict) else (None, [])
    if entry is None:
        return None
    row = entry_row(entry, OWNER, KEY, NOW)
    return {k: v for k, v in row.items() if k not in FROM_OWNER} | {"village": entry.village}


def fast_path(data: Any, maker: RowMaker | None = None) -> dict[str, Any] | None:
    return (maker or RowMaker(KEY, NOW)).values(data)


def agree(data: Any, maker: RowMaker | None = None) -> None:
    fast = fast_path(data, maker)
    if fast is None:
        return
    full = full_path(data)
    assert full is not None, f"fast path accepted what the full path refuses: {data!r}"
    assert fast == full


def test_entries_the_store_writes_take_the_fast_path_with_identical_rows() -> None:
    for data in VALID:
        fast = fast_path(data)
        assert fast is not None, data
        assert fast == full_path(data)
        # The owner's columns complete the row: the same column set as entry_row's.
        assert set(fast) - set(ROW_ONLY) | FROM_OWNER == set(entry_row_keys())


def entry_row_keys() -> list[str]:
    return list(entry_row(Entry.model_validate(VALID[0]), OWNER, KEY, NOW))


def test_the_same_citizen_in_one_batch_gets_the_same_key_and_mask() -> None:
    maker = RowMaker(KEY, NOW)
    a, b = (maker.values(VALID[0] | {"id": i}) for i in (VALID[1]["id"], VALID[2]["id"]))
    assert a is not None and b is not None
    assert (a["citizen_key"], a["id_masked"]) == (b["citizen_key"], b["id_masked"])


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-03-01T10:00:00.123456Z",
        "2026-03-01T10:00:00.1Z",
        "2026-03-01T10:00:00Z",
        "2026-03-01T17:00:00.123456+07:00",
        "2026-03-01T00:30:00.000001-05:00",
    ],
)
def test_timestamps_cut_into_sqlite_text_match_the_formatted_text(stamp: str) -> None:
    maker = RowMaker(KEY, NOW)
    row = maker.values(VALID[0] | {"assisted_at": stamp})
    assert row is not None
    moment = row["assisted_at"]
    # Only the plain UTC spelling with microseconds is cut; the others are formatted.
    assert (moment in maker.stamp_texts) == (len(stamp) == 27 and stamp.endswith("Z"))
    params = sqlite_params(ENTRIES, ("id", "assisted_at"), [row], maker.stamp_texts)
    assert params == [(row["id"], sqlite_datetime(moment))]


SPELLINGS: dict[str, list[Any]] = {
    "id": ["0190B5A2-7C1D-7E2F-8A3B-4C5D6E7F8091", "{0190b5a2-7c1d-7e2f-8a3b-4c5d6e7f8091}",
           "0190b5a27c1d7e2f8a3b4c5d6e7f8091", "not-a-uuid", 5, None],
    "visit_id": ["", "0190B5A2-7C1D-7E2F-8A3B-4C5D6E7F8091", 3],
    "village": [" 52-1", "52-1\n", "52–1", "٥٢-1", 521, "52-12345"],
    "service": ["VNEID_LEVEL1", " vneid_level1", "vneid level1", "", "x" * 41, None],
    "outcome": ["SUCCESS", "success ", "won", 1, None],
    "reasons": [["no_phone"], ["no_phone", "no_phone"], "no_phone", [1], ["bogus"], [None],
                ["no_phone"] * 18],
    "assisted_at": ["2026-03-01", "2026-03-01T10:00:00", "2026-03-01 10:00:00+07:00",
                    "2026-03-01T10:00:00.1234567Z", "2026-02-30T10:00:00Z", 1767225600,
                    (NOW + timedelta(days=2)).isoformat(), "1999-12-31T23:59:59Z",
                    "2026-03-01T24:00:00Z", "2026-03-01T10:00:00+07", "2026-W09-1T10:00:00Z"],
    "full_name": ["  Nguyễn Văn A", "nguyễn   văn a", "Nguyê\u0303n Văn A", "Nguyễn Văn 2", "",
                  "A" * 201, "Nguyễn\x00Văn", "\u00a0Nguyễn", "Nguyễn\x1fVăn"],
    "id_number": ["052 090 001 234", "052.090.001.234", "０５２０９００１２３４", "05209000123",
                  "0520900012345", " 052090001234", 52090001234, "052090001234\n"],
    "birth_year": ["1990", 1990.0, True, 1899, 2101, 2099, None],
    "sex": ["MALE", "m", "other", 0],
    "phone": ["", "  ", "+84 912 345 678", "0912-345-678", "01234567890", "84912345678",
              "0212345678", 912345678, "09123456789"],
    "consent": ["true", 1, "yes", False, None],
    "consent_method": ["VERBAL", "signed", None],
    "device_owner": ["citizen ", "neighbour", None],
    "note": [" ", "gọi lại 0912345678", "OTP 123456", "số 052090001234", "a\x07b", "x" * 501,
             "x" * 2001, "  ghi chú  ", "Cafe\u0301", None, 5],
    "rev": [0, "2", 2.0, True, -1],
    "extra": ["anything"],
}  # fmt: skip


def test_every_odd_spelling_either_steps_aside_or_agrees() -> None:
    for field, values in SPELLINGS.items():
        for value in values:
            for base in VALID[:20]:
                agree(base | {field: value})
            agree({k: v for k, v in VALID[0].items() if k != field})


def test_what_a_batch_remembers_never_lets_an_odd_spelling_through() -> None:
    # One maker for the whole batch, as a push uses it: valid entries first, so their names,
    # numbers, phones, villages and services are remembered; then every odd spelling, and
    # each field's valid values moved into the other fields.
    maker = RowMaker(KEY, NOW)
    for data in VALID:
        assert fast_path(data, maker) == full_path(data)
    for field, values in SPELLINGS.items():
        for value in values:
            agree(VALID[0] | {field: value}, maker)
    for source in ("village", "service", "full_name", "id_number", "phone", "note"):
        for target in ("village", "service", "full_name", "id_number", "phone", "note"):
            agree(VALID[1] | {target: VALID[2][source]}, maker)


def test_hostile_shapes_step_aside() -> None:
    for data in (None, [], "entry", 5, {"id": VALID[0]["id"]}, {1: 2}, VALID[0] | {1: 2}):
        assert fast_path(data) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    base=st.sampled_from(VALID),
    field=st.sampled_from(sorted(SPELLINGS)),
    value=json_values | st.sampled_from([v for vs in SPELLINGS.values() for v in vs]),
)
def test_random_values_never_split_the_two_paths(
    base: dict[str, Any], field: str, value: Any
) -> None:
    agree(base | {field: value})
