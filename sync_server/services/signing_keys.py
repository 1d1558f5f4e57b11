"""Laptops' bundle-signing keys: the server holds each device's Ed25519 public key only.

A bundle verified here was made by whoever holds the device's private key, which never leaves
the laptop; a copy of the server's database (token hashes included) cannot make one.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fieldkit.domain.bundle import BundleError


def is_public_key(public_key: str) -> bool:
    """Whether a hex string is a usable Ed25519 public key."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
    except ValueError:
        return False
    return True


def verify(public_key: str, body: bytes, signature: bytes) -> None:
    """Check an Ed25519 signature of `body`; BundleError("signature") when it does not hold."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(signature, body)
    except (ValueError, InvalidSignature) as exc:
        raise BundleError("signature") from exc
