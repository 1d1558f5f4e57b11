"""Vietnamese mobile numbers: normalise +84/84/spaces/dots to 0xxxxxxxxx."""

from __future__ import annotations

import re

from fieldkit.domain.digits import is_ascii_digits
from fieldkit.domain.problems import DomainError

MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
_SEPARATORS = re.compile(r"[\s.\-()]")


def normalise_phone(raw: str) -> str:
    """Return the 10-digit 0xxxxxxxxx form or raise DomainError with a helpful code."""
    if len(raw) == 10 and is_ascii_digits(raw) and raw[:2] in MOBILE_PREFIXES:
        return raw  # already the normal form (what fieldkit's own store writes)
    cleaned = _SEPARATORS.sub("", raw)
    if not cleaned:
        raise DomainError("phone.empty", "phone")
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
        if not cleaned.startswith("84"):
            raise DomainError("phone.prefix", "phone", prefix="+" + cleaned[:2])
    if not is_ascii_digits(cleaned):
        raise DomainError("phone.characters", "phone")
    if cleaned.startswith("84") and len(cleaned) in (11, 12):
        cleaned = "0" + cleaned[2:]
    if cleaned.startswith("01") and len(cleaned) == 11:
        raise DomainError("phone.old_11_digit", "phone")
    if len(cleaned) != 10 or not cleaned.startswith("0"):
        raise DomainError("phone.length", "phone")
    if cleaned[:2] not in MOBILE_PREFIXES:
        if cleaned.startswith("01"):
            raise DomainError("phone.old_11_digit", "phone")
        raise DomainError("phone.prefix", "phone", prefix=cleaned[:2])
    return cleaned


def mask_phone(number: str) -> str:
    """Masked phone for display: 09•••••123."""
    return f"{number[:2]}{'•' * (len(number) - 5)}{number[-3:]}" if len(number) > 5 else number
