"""The PIN that unlocks a profile: its argon2 hash, and a check that needs no SQLAlchemy.

The app checks the PIN the moment it is typed, while SQLAlchemy may still be loading for the
home screen: reading the one stored hash with the standard library's sqlite3 lets argon2 run
on one core while the store loads on the other. fieldkit.store.keys hashes PINs with this
same hasher, so there is one set of argon2 parameters.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
# Cheap enough for a laptop unlock, far too slow to brute-force a stolen file quickly.
HASHER = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)
PROFILE_TABLE = "profile"
"""fieldkit.store.models.ProfileRow's table (its row 1 holds pin_hash)."""


def verify_pin(pin_hash: str, pin: str) -> bool:
    """Whether the PIN matches its stored hash."""
    try:
        return HASHER.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def stored_pin_hash(database: Path) -> str | None:
    """The PIN hash in a profile's database file (None: no PIN set), read-only.

    Raises sqlite3.Error when the file cannot be read as a profile; the caller then opens
    the store the usual way, which explains what is wrong.
    """
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=5) as conn:
        row = conn.execute(f"SELECT pin_hash FROM {PROFILE_TABLE} WHERE id = 1").fetchone()
    if row is None:
        raise sqlite3.DatabaseError("no profile row")
    return str(row[0]) if row[0] is not None else None
