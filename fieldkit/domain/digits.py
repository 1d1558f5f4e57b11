"""Whole numbers typed or sent from outside: ASCII digits 0–9 only.

`str.isdigit()` is also true for "²", "¹" and other Unicode digits, which `int()` either
refuses (a ValueError where the caller expected none) or reads as a different number ("١٢" is
12). Every check of outside input for "a number" goes through here instead.
"""

from __future__ import annotations

MAX_DIGITS = 18
"""More digits than any count, id or size we accept; also keeps int() cheap on hostile text."""


def is_ascii_digits(text: str) -> bool:
    """Whether text is one or more of the ASCII digits 0–9 and nothing else."""
    return text.isascii() and text.isdigit()


def ascii_int(text: str, max_digits: int = MAX_DIGITS) -> int | None:
    """The whole number that ASCII digits spell, or None for anything else or too many digits."""
    if not is_ascii_digits(text) or len(text) > max_digits:
        return None
    return int(text)
