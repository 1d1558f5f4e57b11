"""Numbers from outside are ASCII digits only: "²".isdigit() is true and int("²") fails.

Each test drives one place that used to pair isdigit() with int() on outside input.
"""

from __future__ import annotations

import httpx
import pytest

from fieldkit import demo
from fieldkit.domain.digits import ascii_int, is_ascii_digits
from fieldkit.domain.identity import decode_id_number, known_prefix
from fieldkit.domain.wire import protocol_major
from fieldkit.store.csv_import import row_form
from fieldkit.sync.engine import _expected_id

UNICODE_DIGITS = ["²", "¹²", "١٢", "１２", "߁", "𝟙"]


@pytest.mark.parametrize("text", [*UNICODE_DIGITS, "", " 12", "+1", "-1", "1_000", "1.0", "12a"])
def test_only_ascii_digits_are_a_number(text: str) -> None:
    assert not is_ascii_digits(text)
    assert ascii_int(text) is None


def test_ascii_digits_and_their_limit() -> None:
    assert ascii_int("0") == 0
    assert ascii_int("0042") == 42
    assert ascii_int("1234", max_digits=4) == 1234
    assert ascii_int("12345", max_digits=4) is None
    assert ascii_int("9" * 19) is None  # more than any count we take


def _conflict(message: str) -> httpx.Response:
    body = {"error": {"code": "mutation_gap", "message": message}}
    return httpx.Response(409, json=body)


def test_gap_message_with_a_superscript_names_the_last_real_number() -> None:
    message = "Mutation gap²: expected 17"
    assert _expected_id(message, _conflict(message)) == 17
    assert _expected_id("gap ² ¹", _conflict("gap ² ¹")) is None


def test_demo_entry_count_from_a_unicode_digit_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(demo.DEMO_ENTRIES_ENV, "²")
    assert demo.demo_entries() == demo.DEMO_ENTRIES
    monkeypatch.setenv(demo.DEMO_ENTRIES_ENV, "300")
    assert demo.demo_entries() == 300


def test_identity_number_being_typed_with_a_superscript() -> None:
    decoded = decode_id_number("001²56789012")
    assert (decoded.sex, decoded.birth_year) == (None, None)
    assert not known_prefix("¹²³")


def test_csv_birth_year_in_unicode_digits_is_named() -> None:
    form, problems = row_form({"birth_year": "19²0", "consent": "có"})
    assert form is None
    assert [p.field for p in problems] == ["birth_year"]


def test_protocol_version_in_unicode_digits_is_no_version() -> None:
    assert protocol_major("¹.0") is None
    assert protocol_major("1.0") == 1
