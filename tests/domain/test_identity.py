"""Identity numbers: exactly 12 digits, warnings for prefix / sex / birth year, masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.domain import (
    DomainError,
    Sex,
    decode_id_number,
    id_number_warnings,
    is_masked,
    mask_id_number,
    normalise_id_number,
)
from fieldkit.domain.identity import OLD_PROVINCE_PREFIXES, DecodedId, known_prefix


def make_number(prefix: str, sex: Sex, year: int, tail: int) -> str:
    """Build a number consistent with the given facts."""
    century = 0 if year < 2000 else 2
    digit = century + (0 if sex is Sex.MALE else 1)
    return f"{prefix}{digit}{year % 100:02d}{tail:06d}"


def test_sixty_three_old_province_codes() -> None:
    assert len(OLD_PROVINCE_PREFIXES) == 63
    assert OLD_PROVINCE_PREFIXES["052"] == "Bình Định"
    assert OLD_PROVINCE_PREFIXES["064"] == "Gia Lai"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("052090001234", "052090001234"),
        ("052 090 001 234", "052090001234"),
        ("052.090.001.234", "052090001234"),
        ("052-090-001-234", "052090001234"),
        ("０５２０９０００１２３４", "052090001234"),
    ],
)
def test_normalise_accepts_separators(raw: str, expected: str) -> None:
    assert normalise_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("05209000123", "id_number.length"),
        ("0520900012345", "id_number.length"),
        ("", "id_number.empty"),
        (" . - ", "id_number.empty"),
        ("05209000123a", "id_number.characters"),
        ("052090001234; DROP TABLE", "id_number.characters"),
        ("05209000123²", "id_number.characters"),  # a digit, but not a decimal one
    ],
)
def test_normalise_rejects(raw: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_id_number(raw)
    assert info.value.problem.code == code


@given(
    prefix=st.sampled_from(sorted(OLD_PROVINCE_PREFIXES)),
    sex=st.sampled_from(list(Sex)),
    year=st.integers(1900, 2099),
    tail=st.integers(0, 999_999),
)
def test_consistent_numbers_have_no_warnings(prefix: str, sex: Sex, year: int, tail: int) -> None:
    number = make_number(prefix, sex, year, tail)
    assert normalise_id_number(number) == number
    decoded = decode_id_number(number)
    assert (decoded.sex, decoded.birth_year) == (sex, year)
    assert id_number_warnings(number, year, sex) == []


@given(
    sex=st.sampled_from(list(Sex)),
    year=st.integers(1900, 2099),
    other_year=st.integers(1900, 2099),
    tail=st.integers(0, 999_999),
)
def test_birth_year_mismatch_warns(sex: Sex, year: int, other_year: int, tail: int) -> None:
    number = make_number("064", sex, year, tail)
    codes = [p.code for p in id_number_warnings(number, other_year, sex)]
    assert ("id_number.birth_year_mismatch" in codes) == (year != other_year)


def test_sex_mismatch_and_unknown_prefix_warn() -> None:
    number = make_number("003", Sex.MALE, 1990, 1)
    codes = {p.code for p in id_number_warnings(number, 1990, Sex.FEMALE)}
    assert codes == {"id_number.unknown_prefix", "id_number.sex_mismatch"}
    assert all(p.severity == "warning" for p in id_number_warnings(number, 1990, Sex.FEMALE))


def test_abroad_prefixes_are_known() -> None:
    assert known_prefix("101") and known_prefix("295")
    assert not known_prefix("296") and not known_prefix("000")


def test_century_digit_beyond_2099_warns() -> None:
    codes = [p.code for p in id_number_warnings("052490001234", 1990, Sex.MALE)]
    assert codes == ["id_number.century_sex_digit"]


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_mask_keeps_only_the_last_three_digits(number: str) -> None:
    masked = mask_id_number(number)
    assert masked == "•" * 9 + number[-3:]
    assert is_masked(masked)


def test_warning_messages_in_both_languages() -> None:
    number = make_number("052", Sex.MALE, 1990, 1)
    (problem,) = id_number_warnings(number, 1991, Sex.MALE)
    assert "1990" in problem.message("vi") and "năm sinh" in problem.message("vi")
    assert "born 1990" in problem.message("en")


@given(st.text(alphabet="0123456789 .-٣a", max_size=14))
def test_numbers_in_normal_form_take_a_shortcut_to_the_same_result(raw: str) -> None:
    def outcome(text: str) -> str:
        try:
            return normalise_id_number(text)
        except DomainError as exc:
            return f"error {exc.problem.code} {exc.problem.params}"

    # A leading space never passes the shortcut, and the full path strips it.
    assert outcome(raw) == outcome(" " + raw)


def test_a_number_being_typed_gives_sex_then_birth_year() -> None:
    assert decode_id_number("052") == DecodedId(prefix="052", sex=None, birth_year=None)
    assert decode_id_number("052 1").sex is Sex.FEMALE
    assert decode_id_number("052 1").birth_year is None
    assert decode_id_number("052.19") == DecodedId(prefix="052", sex=Sex.FEMALE, birth_year=None)
    assert decode_id_number("052-205") == DecodedId(prefix="052", sex=Sex.MALE, birth_year=2005)
    assert decode_id_number("0527") == DecodedId(prefix="052", sex=None, birth_year=None)
