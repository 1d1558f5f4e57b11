"""Login names: the ASCII name staff type to sign in, derived from their full name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

from fieldkit.domain.digits import is_ascii_digits

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
"""What a login name may look like: lower-case ASCII letters, digits, dot, dash, underscore."""
_BASE_LENGTH = 50


def login_base(name: str) -> str:
    """'Nguyễn Văn Đức' → 'nguyen.van.duc' (diacritics dropped, words joined by dots).

    Never only digits: sign-in reads a number as a user number.
    """
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    base = ".".join(words)[:_BASE_LENGTH].strip(".") or "user"
    # All digits would read as a user number at sign-in.
    return f"user.{base}" if is_ascii_digits(base) else base


def derive_login(name: str, taken: Container[str]) -> str:
    """The first free login for a name: the base, then base2, base3, …"""
    base = login_base(name)
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def typed_login(text: str) -> str:
    """What a person typed in the login field: NFC, surrounding and repeated spaces ignored."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise_login(text: str) -> str:
    """What a person typed in the login field, as stored (trimmed, lower case, NFC)."""
    return unicodedata.normalize("NFC", text.strip()).lower()
