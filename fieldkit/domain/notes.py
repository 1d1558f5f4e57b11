"""Free-text notes must never carry identity numbers, OTPs or passwords."""

from __future__ import annotations

import re
import unicodedata

from fieldkit.domain.problems import DomainError

NOTE_MAX_LENGTH = 500
# Runs of digits possibly broken by spaces, dots or dashes ("052 090 001 234").
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-]?\d)*")
_SECRET_WORDS = re.compile(r"\b(otp|mật khẩu|mat khau|password|passcode|pin)\b", re.IGNORECASE)


def check_note(note: str) -> str:
    """Return the NFC-normalised note, or raise DomainError if it looks like it holds a secret."""
    text = unicodedata.normalize("NFC", note).strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\r\n\t" for c in text):
        raise DomainError("note.characters", "note")
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError("note.too_long", "note", max=str(NOTE_MAX_LENGTH))
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 12:
            raise DomainError("note.id_number", "note")
        if len(digits) == 6:
            raise DomainError("note.otp", "note")
    if _SECRET_WORDS.search(text) and re.search(r"\d{4,}", text):
        raise DomainError("note.otp", "note")
    return text
