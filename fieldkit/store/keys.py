"""Device-local secrets: the keyed hash of identity numbers and the PIN hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fieldkit.store.errors import StoreError

_PIN = re.compile(r"^[0-9]{4,12}$")
# Cheap enough for a laptop unlock (~50 ms), far too slow to brute-force a stolen file quickly.
_HASHER = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)


def new_local_key() -> str:
    """A random key that never leaves this laptop's database."""
    return secrets.token_hex(32)


def id_key(local_key: str, id_number: str) -> str:
    """HMAC-SHA256 of a normalised identity number under the device-local key."""
    return hmac.new(bytes.fromhex(local_key), id_number.encode(), hashlib.sha256).hexdigest()


def hash_pin(pin: str) -> str:
    """Argon2 hash of a 4–12 digit PIN; raises StoreError for anything else."""
    if not _PIN.match(pin):
        raise StoreError("pin.format")
    return _HASHER.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    """Whether the PIN matches its stored hash."""
    try:
        return _HASHER.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False
