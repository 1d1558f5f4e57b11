"""Importing a sneakernet bundle: verify its signature, then the very same ingest path as a push."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from fieldkit.domain import wire
from fieldkit.domain.bundle import BundleError, Verifier, read_bundle
from sync_server.db.models import Device, Team, Unit, User
from sync_server.services import access, devices, ingest, signing_keys
from sync_server.settings import LATE_ENTRY_DAYS

__all__ = ["BundleError", "BundleRefused", "import_bundle", "without_nul"]

# PostgreSQL text cannot hold NUL; SOH is stored fine and fails the entry's own validation.
_NUL, _STAND_IN = "\x00", "\x01"


class BundleRefused(Exception):
    """The bundle is valid but the importer may not import it (another commune's device)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _defused(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_NUL, _STAND_IN)
    if isinstance(value, dict):
        return {_defused(k): _defused(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_defused(v) for v in value]
    return value


def without_nul(mutations: list[wire.Mutation]) -> list[wire.Mutation]:
    """Mutations whose NUL characters became control characters the entry validation refuses.

    A NUL reaching PostgreSQL fails the whole batch with a 5xx the device would resend forever;
    this way the item is rejected on its own (sync rule 4, docs/architecture.md) and the queue
    moves on.
    """
    return [
        m.model_copy(update={"entry": _defused(m.entry)}) if _has_nul(m.entry) else m
        for m in mutations
    ]


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


def import_bundle(
    session: Session,
    data: bytes,
    importer: User | None = None,
    secret: str | None = None,
    late_after: timedelta = timedelta(days=LATE_ENTRY_DAYS),
) -> wire.PushResponse:
    """Verify a bundle and feed its mutations through ingest; importing twice changes nothing.

    Raises BundleError (bad file, unknown device, no registered key, bad signature),
    BundleRefused (importer out of scope) or ingest.MutationGap (the bundle starts after
    mutations the server never saw).
    """
    bundle = read_bundle(data, _verifier(session))
    device = session.get(Device, bundle.device_id)
    if device is None:  # read_bundle already refused unknown devices; be safe anyway
        raise BundleError("unknown_device", "The bundle's device is not known to this server.")
    if importer is not None:
        _check_importer(session, importer, device)
    mutations = without_nul(list(bundle.mutations))
    return ingest.ingest_mutations(session, device, mutations, secret, late_after)
