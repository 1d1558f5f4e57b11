"""Device-local secrets: the keyed hash of identity numbers and the PIN hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fieldkit.pin import HASHER, PIN_PATTERN, verify_pin
from fieldkit.store.errors import StoreError

__all__ = ["hash_pin", "id_key", "new_local_key", "verify_pin"]


def new_local_key() -> str:
    """A random key that never leaves this laptop's database."""
    return secrets.token_hex(32)


def id_key(local_key: str, id_number: str) -> str:
    """HMAC-SHA256 of a normalised identity number under the device-local key."""
    return hmac.new(bytes.fromhex(local_key), id_number.encode(), hashlib.sha256).hexdigest()


def hash_pin(pin: str) -> str:
    """Argon2 hash of a 4–12 digit PIN; raises StoreError for anything else."""
    if not PIN_PATTERN.match(pin):
        raise StoreError("pin.format")
    return HASHER.hash(pin)
