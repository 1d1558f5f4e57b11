"""Opening a sneakernet bundle: its signature, its device, the importer's right to it.

services/pushing.py then applies its mutations through the very same pipeline as a push.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldkit.domain import wire
from fieldkit.domain.bundle import BundleError, Verifier, read_bundle
from sync_server.db.models import Device, Team, Unit, User
from sync_server.services import access, devices, signing_keys

__all__ = ["BundleError", "BundleRefused", "open_bundle"]


class BundleRefused(Exception):
    """The bundle is valid but the importer may not import it (another commune's device)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _verifier(session: Session) -> Verifier:
    """Checks a bundle against its live device's registered public key."""

    def verify(device_id: str, body: bytes, signature: bytes) -> None:
        device = session.get(Device, device_id)
        if device is None or device.revoked_at is not None or devices.is_login(device):
            raise BundleError("unknown_device")
        if device.public_key is None:
            raise BundleError("no_device_key")
        signing_keys.verify(device.public_key, body, signature)

    return verify


def _device_village(session: Session, device: Device) -> Unit | None:
    user = session.get(User, device.user_id)
    team = session.get(Team, user.team_id) if user and user.team_id is not None else None
    return session.get(Unit, team.village_code) if team else None


def _check_importer(session: Session, importer: User, device: Device) -> None:
    village = _device_village(session, device)
    if not access.can_manage(importer, access.lineage(village) if village else set()):
        raise BundleRefused(
            "forbidden", "This bundle comes from a laptop of another commune's volunteer."
        )


def open_bundle(
    session: Session, data: bytes, importer: User | None = None
) -> tuple[Device, tuple[wire.Mutation, ...]]:
    """A verified bundle's device and mutations (services/pushing.py applies them).

    Raises BundleError (bad file, unknown device, no registered key, bad signature) or
    BundleRefused (`importer` may not manage the device's village). Only reads.
    """
    bundle = read_bundle(data, _verifier(session))
    device = session.get(Device, bundle.device_id)
    if device is None:  # read_bundle already refused unknown devices; be safe anyway
        raise BundleError("unknown_device", "The bundle's device is not known to this server.")
    if importer is not None:
        _check_importer(session, importer, device)
    return device, tuple(bundle.mutations)
