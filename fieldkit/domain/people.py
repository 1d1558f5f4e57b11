"""Facts about citizens that reports need: age groups and names."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from fieldkit.domain.problems import DomainError

YOUTH_MIN_AGE = 16
YOUTH_MAX_AGE = 30
MIN_BIRTH_YEAR = 1900
NAME_MAX_LENGTH = 100
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")
_TITLECASE = re.compile(
    "[\u01c5\u01c8\u01cb\u01f2\u1f88-\u1f8f\u1f98-\u1f9f\u1fa8-\u1faf\u1fbc\u1fcc\u1ffc]"
)
"""The titlecase letters (category Lt), whose upper case differs from themselves."""


class AgeGroup(StrEnum):
    """The youth union's split: youth (16–30) and outside youth age."""

    YOUTH = "youth"
    NON_YOUTH = "non_youth"


class DeviceOwner(StrEnum):
    """Whose phone the account was set up on (the volunteer's binds VNeID to it)."""

    CITIZEN = "citizen"
    RELATIVE = "relative"
    VOLUNTEER = "volunteer"


def age_group(birth_year: int, year: int) -> AgeGroup:
    """Age group by age reached in the given year."""
    age = year - birth_year
    return AgeGroup.YOUTH if YOUTH_MIN_AGE <= age <= YOUTH_MAX_AGE else AgeGroup.NON_YOUTH


def normalise_name(raw: str) -> str:
    """NFC, single spaces, each word capitalised; raise DomainError for empty or odd names."""
    if _is_canonical_name(raw):
        return raw
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not text:
        raise DomainError("full_name.empty", "full_name")
    if len(text) > NAME_MAX_LENGTH:
        raise DomainError("full_name.too_long", "full_name")
    # Letters and single spaces only (the usual name) need no regex: isalpha() ⊂ [^\W\d_].
    if not text.replace(" ", "").isalpha() and not _NAME_OK.match(text):
        raise DomainError("full_name.characters", "full_name")
    return " ".join([w[:1].upper() + w[1:] for w in text.split(" ")])


def _is_canonical_name(raw: str) -> bool:
    """Whether normalise_name(raw) is raw itself, checked without rebuilding it.

    True for what fieldkit's own store writes: NFC letters in words joined by single spaces,
    each word capitalised (istitle), within the length limit. Titlecase letters such as ǅ pass
    istitle although normalise_name would upper-case them, so names holding one take the full
    path.
    """
    return (
        0 < len(raw) <= NAME_MAX_LENGTH
        and raw[0] != " "
        and raw[-1] != " "
        and "  " not in raw
        and raw.istitle()
        and raw.replace(" ", "").isalpha()
        and unicodedata.is_normalized("NFC", raw)
        and not _TITLECASE.search(raw)
    )


def fold(text: str) -> str:
    """Lower-case and strip diacritics (đ → d) for searching: 'Nguyễn' → 'nguyen'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
