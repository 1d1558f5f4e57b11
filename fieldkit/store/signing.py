"""The laptop's bundle-signing key: an Ed25519 pair whose private half never leaves the laptop.

The server keeps only the public half, so a copy of its database cannot sign a bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from fieldkit.domain.bundle import Signer
from fieldkit.store.models import SigningKeyRow

_RAW = serialization.Encoding.Raw


def new_signing_key() -> str:
    """A fresh private key, as the hex of its 32 raw bytes."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    ).hex()


def _private(private_key: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key))


def public_key_of(private_key: str) -> str:
    """The public half the server stores, as the hex of its 32 raw bytes."""
    public = _private(private_key).public_key()
    return public.public_bytes(_RAW, serialization.PublicFormat.Raw).hex()


@dataclass(frozen=True)
class SigningKey:
    """The key pair and whether the server has the public half yet."""

    private_key: str
    registered: bool

    @property
    def public_key(self) -> str:
        """The public half, as the server stores it."""
        return public_key_of(self.private_key)

    def signer(self) -> Signer:
        """Signs bundle bytes with the private half."""
        return _private(self.private_key).sign


def stored(session: Session) -> SigningKey | None:
    """The profile's key pair, if it has one."""
    row = session.get(SigningKeyRow, 1)
    return SigningKey(row.private_key, row.registered) if row is not None else None


def keep(session: Session, private_key: str, registered: bool) -> SigningKey:
    """Store the profile's key pair (once)."""
    session.add(
        SigningKeyRow(
            id=1, private_key=private_key, registered=registered, created_at=datetime.now(UTC)
        )
    )
    return SigningKey(private_key, registered)


def mark_registered(session: Session, public_key: str) -> None:
    """Record that the server stored the public half of this profile's key pair."""
    row = session.get(SigningKeyRow, 1)
    if row is not None and public_key_of(row.private_key) == public_key:
        row.registered = True
