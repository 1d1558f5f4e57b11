"""Enrolling this laptop: a bundle-signing key pair, the enrollment, and the new profile."""

from __future__ import annotations

from pathlib import Path

from fieldkit.store import Store, create_profile
from fieldkit.store.signing import new_signing_key, public_key_of
from fieldkit.sync import enroll


def enroll_laptop(
    home: Path,
    server_url: str,
    code: str,
    device_name: str,
    *,
    pin: str | None = None,
    profile: str | None = None,
) -> Store:
    """Spend an enrollment code and create the profile that keeps the token and signing key.

    The private half of the key pair stays in the profile's database; the public half goes
    with the enrollment so the server can verify this laptop's bundles from the first one.
    """
    key = new_signing_key()
    response = enroll(server_url, code, device_name, public_key=public_key_of(key))
    return create_profile(home, response, server_url, pin=pin, name=profile, signing_key=key)
