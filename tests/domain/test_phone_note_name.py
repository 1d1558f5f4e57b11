"""Phones normalise to 0xxxxxxxxx, notes refuse secrets, names are NFC and tidy."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.domain import DomainError, check_note, fold, normalise_name, normalise_phone
from fieldkit.domain.formatting import format_date, format_number, format_percent

mobile = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(["03", "05", "07", "08", "09"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


@given(mobile)
def test_every_mobile_form_normalises_to_the_same(number: str) -> None:
    rest = number[1:]
    spaced = f"{number[:4]} {number[4:7]} {number[7:]}"
    for form in (number, "+84" + rest, "84" + rest, spaced, f"+84 {rest[:3]}.{rest[3:]}"):
        assert normalise_phone(form) == number


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("01623456789", "phone.old_11_digit"),
        ("0162 345 6789", "phone.old_11_digit"),
        ("091234567", "phone.length"),
        ("02438123456", "phone.length"),
        ("0212345678", "phone.prefix"),
        ("+1 555 0100", "phone.prefix"),
        ("09x2345678", "phone.characters"),
        ("   ", "phone.empty"),
    ],
)
def test_bad_phones_get_a_helpful_code(raw: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_phone(raw)
    assert info.value.problem.code == code


def test_old_number_hint_mentions_new_prefix() -> None:
    with pytest.raises(DomainError) as info:
        normalise_phone("01623456789")
    assert "0362" in info.value.problem.message("vi")


@pytest.mark.parametrize(
    ("note", "code"),
    [
        ("CCCD 052090001234 của bà", "note.id_number"),
        ("số 052 090 001 234", "note.id_number"),
        ("mã OTP 123456", "note.otp"),
        ("otp là 12-34-56", "note.otp"),
        ("mật khẩu 2468", "note.otp"),
        ("x" * 501, "note.too_long"),
    ],
)
def test_note_refuses_secrets(note: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        check_note(note)
    assert info.value.problem.code == code


@pytest.mark.parametrize("note", ["Hẹn lại thứ 7", "Nhà số 12, đi 2 lần", "SĐT 0912345678", ""])
def test_ordinary_notes_pass(note: str) -> None:
    assert check_note(note) == unicodedata.normalize("NFC", note).strip()


def test_names_are_nfc_and_capitalised() -> None:
    decomposed = unicodedata.normalize("NFD", "nguyễn  thị   hồng")
    assert normalise_name(decomposed) == unicodedata.normalize("NFC", "Nguyễn Thị Hồng")
    for bad in ("", "   ", "Nguyễn 123", "<script>"):
        with pytest.raises(DomainError):
            normalise_name(bad)


def _outcome(normalise: Callable[[str], str], raw: str) -> str:
    """What a normaliser returns, or the code of the problem it raises."""
    try:
        return normalise(raw)
    except DomainError as exc:
        return f"error {exc.problem.code}"


# Letters that test the shortcut for names already in normal form: Vietnamese letters in both
# cases and both normal forms, titlecase letters (ǅ upper-cases to Ǆ), an uncased letter,
# digits, apostrophes and hyphens, and several kinds of space.
_NAME_ALPHABET = "aAnNgGưƯễỄđĐ" + "ǅǆǄᾈ李ʼ" + "\u0303\u0301" + "09'-" + " \t\u00a0"


@given(st.text(alphabet=_NAME_ALPHABET, max_size=12))
def test_names_in_normal_form_take_a_shortcut_to_the_same_result(raw: str) -> None:
    # A leading space never passes the shortcut, and every full-path step ignores it.
    assert _outcome(normalise_name, raw) == _outcome(normalise_name, " " + raw)


@given(st.text(alphabet="0123456789+ .٣", max_size=13) | mobile)
def test_phones_in_normal_form_take_a_shortcut_to_the_same_result(raw: str) -> None:
    assert _outcome(normalise_phone, raw) == _outcome(normalise_phone, " " + raw)


def test_titlecase_letters_are_upper_cased_not_passed_through() -> None:
    assert normalise_name("ǅuro") == "Ǆuro"
    assert normalise_name(unicodedata.normalize("NFC", "Lê Ngọc Xuân")) == "Lê Ngọc Xuân"


def test_fold_ignores_diacritics_and_case() -> None:
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"


def test_vietnamese_formats() -> None:
    assert format_number(1234567) == "1.234.567"
    assert format_number(1234567, "en") == "1,234,567"
    assert format_percent(118.46) == "118,5 %"
    assert format_percent(None) == "—"
    from datetime import UTC, datetime

    assert format_date(datetime(2026, 3, 1, 20, 0, tzinfo=UTC)) == "02/03/2026"
