"""Login names: the ASCII name staff type to sign in, derived from their full name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
"""What a login name may look like: lower-case ASCII letters, digits, dot, dash, underscore."""
_BASE_LENGTH = 50


def login_base(name: str) -> str:
    """'Nguyễn Văn Đức' → 'nguyen.van.duc' (diacritics dropped, words joined by dots)."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    return ".".join(words)[:_BASE_LENGTH].strip(".") or "user"


def derive_login(name: str, taken: Container[str]) -> str:
    """The first free login for a name: the base, then base2, base3, …"""
    base = login_base(name)
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def normalise_login(text: str) -> str:
    """What a person typed in the login field, as stored (trimmed, lower case, NFC)."""
    return unicodedata.normalize("NFC", text.strip()).lower()
