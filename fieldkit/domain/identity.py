"""The 12-digit citizen identity number (số định danh cá nhân): checks, masking, decoding."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fieldkit.domain.digits import ascii_int, is_ascii_digits
from fieldkit.domain.problems import DomainError, Problem, warning


class Sex(StrEnum):
    """The citizen's sex as written on the identity card."""

    MALE = "male"
    FEMALE = "female"


# The 63 pre-2025 province codes used as birth-registration prefixes (001 Hà Nội … 096 Cà Mau).
OLD_PROVINCE_PREFIXES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "TP Hồ Chí Minh", "080": "Long An",
    "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ",
    "093": "Hậu Giang", "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

_SEPARATORS = re.compile(r"[\s.\-]")


def known_prefix(prefix: str) -> bool:
    """Whether a 3-digit prefix is an old province code or an abroad code (101–295)."""
    return prefix in OLD_PROVINCE_PREFIXES or 101 <= (ascii_int(prefix, max_digits=3) or 0) <= 295


def normalise_id_number(raw: str) -> str:
    """Strip spaces, dots and dashes; raise DomainError unless exactly 12 ASCII digits remain."""
    if len(raw) == 12 and is_ascii_digits(raw):
        return raw  # already the normal form
    cleaned = _SEPARATORS.sub("", raw)
    if not cleaned:
        raise DomainError("id_number.empty", "id_number")
    if not is_ascii_digits(cleaned):
        if cleaned and all(c.isdecimal() for c in cleaned):
            # Non-ASCII digits (e.g. full-width) are normalised to ASCII.
            cleaned = "".join(str(int(c)) for c in cleaned)
        else:
            raise DomainError("id_number.characters", "id_number")
    if len(cleaned) != 12:
        raise DomainError("id_number.length", "id_number", digits=str(len(cleaned)))
    return cleaned


@dataclass(frozen=True)
class DecodedId:
    """What an identity number says about its holder (it says nothing about residence)."""

    prefix: str
    sex: Sex | None
    birth_year: int | None


def decode_id_number(number: str) -> DecodedId:
    """Read the prefix, sex and birth year out of a number, as far as its digits go.

    A normalised 12-digit number gives all three; a number still being typed gives the sex
    from its 4th digit and the birth year once the 5th and 6th are there (separators ignored).
    """
    digits = _SEPARATORS.sub("", number)
    prefix = digits[:3]
    if len(digits) < 4 or not is_ascii_digits(digits[:6]) or int(digits[3]) > 3:
        return DecodedId(prefix=prefix, sex=None, birth_year=None)
    digit = int(digits[3])
    sex = Sex.MALE if digit % 2 == 0 else Sex.FEMALE
    if len(digits) < 6:
        return DecodedId(prefix=prefix, sex=sex, birth_year=None)
    century = 1900 if digit < 2 else 2000
    return DecodedId(prefix=prefix, sex=sex, birth_year=century + int(digits[4:6]))


_SEX_VI = {Sex.MALE: "nam", Sex.FEMALE: "nữ"}


def id_number_warnings(number: str, birth_year: int | None, sex: Sex | None) -> list[Problem]:
    """Warnings the volunteer must confirm: unknown prefix, sex or birth year disagreeing."""
    problems: list[Problem] = []
    decoded = decode_id_number(number)
    if not known_prefix(decoded.prefix):
        problems.append(warning("id_number.unknown_prefix", "id_number", prefix=decoded.prefix))
    if decoded.sex is None:
        problems.append(warning("id_number.century_sex_digit", "id_number", digit=number[3]))
        return problems
    if sex is not None and decoded.sex != sex:
        problems.append(
            warning(
                "id_number.sex_mismatch",
                "id_number",
                id_sex=_SEX_VI[decoded.sex],
                sex=_SEX_VI[sex],
            )
        )
    if birth_year is not None and decoded.birth_year != birth_year:
        problems.append(
            warning(
                "id_number.birth_year_mismatch",
                "id_number",
                id_year=str(decoded.birth_year),
                birth_year=str(birth_year),
            )
        )
    return problems


MASK = "•"
MASK_KEEPS = 3
"""Digits a masked number keeps: the last three. The first six (birth province, century and
sex, birth year) can be guessed from the entry's other fields, so keeping them too would
leave only about a thousand candidates per number."""


def mask_id_number(number: str) -> str:
    """Masked form for display: only the last 3 digits, e.g. •••••••••123."""
    if len(number) != 12:
        return MASK * 12
    return MASK * (12 - MASK_KEEPS) + number[-MASK_KEEPS:]


def is_masked(number: str) -> bool:
    """Whether a stored number is already the masked form."""
    return MASK in number
