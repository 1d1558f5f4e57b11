"""Free-text notes must never carry identity numbers, OTPs or passwords."""

from __future__ import annotations

import re
import unicodedata

from fieldkit.domain.problems import DomainError

NOTE_MAX_LENGTH = 500
# Runs of digits possibly broken by spaces, dots or dashes ("052 090 001 234").
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-]?\d)*")
# Unicode category Cc is exactly U+0000–U+001F and U+007F–U+009F; tab, CR and LF are allowed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NON_DIGITS = re.compile(r"\D")
_FOUR_DIGITS = re.compile(r"\d{4,}")
_SECRET_WORDS = re.compile(r"\b(otp|mật khẩu|mat khau|password|passcode|pin)\b", re.IGNORECASE)


def check_note(note: str) -> str:
    """Return the NFC-normalised note, or raise DomainError if it looks like it holds a secret."""
    if not note:
        return note
    text = unicodedata.normalize("NFC", note).strip()
    if _CONTROL.search(text):
        raise DomainError("note.characters", "note")
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError("note.too_long", "note", max=str(NOTE_MAX_LENGTH))
    for match in _DIGIT_RUN.finditer(text):
        digits = _NON_DIGITS.sub("", match.group())
        if len(digits) >= 12:
            raise DomainError("note.id_number", "note")
        if len(digits) == 6:
            raise DomainError("note.otp", "note")
    if _SECRET_WORDS.search(text) and _FOUR_DIGITS.search(text):
        raise DomainError("note.otp", "note")
    return text
