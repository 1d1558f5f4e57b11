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
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not text:
        raise DomainError("full_name.empty", "full_name")
    if len(text) > NAME_MAX_LENGTH:
        raise DomainError("full_name.too_long", "full_name")
    # Letters and single spaces only (the usual name) need no regex: isalpha() ⊂ [^\W\d_].
    if not text.replace(" ", "").isalpha() and not _NAME_OK.match(text):
        raise DomainError("full_name.characters", "full_name")
    return " ".join([w[:1].upper() + w[1:] for w in text.split(" ")])


def fold(text: str) -> str:
    """Lower-case and strip diacritics (đ → d) for searching: 'Nguyễn' → 'nguyen'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
