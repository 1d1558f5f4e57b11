"""Volunteers' laptops under a unit, and how fresh their figures are.

`last_sync_received` is the one rule behind every page's "figures as of": the latest sync any
laptop of the unit's volunteers made (revoked laptops included: what they sent still counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from sync_server.db.models import Device, Team, Unit, User
from sync_server.services.devices import LOGIN_PREFIX

STALE_AFTER = timedelta(days=3)
"""A laptop that has not synced for this long is called out on its commune's pages."""
RECENT = timedelta(hours=24)
"""A province page gives each commune's share of laptops synced within this long."""


def _under(unit: Unit) -> ColumnElement[bool]:
    """Villages (joined as `Unit`) in a unit's area, whatever its level."""
    if unit.level == "village":
        return Unit.code == unit.code
    if unit.level == "commune":
        return Unit.commune_code == unit.code
    return Unit.province_code == unit.code


def _laptops() -> tuple[ColumnElement[bool], ...]:
    """Enrolled laptops only (a staff sign-in through the API is a device row too)."""
    return (~Device.name.startswith(LOGIN_PREFIX),)


def last_sync_received(session: Session, unit: Unit) -> datetime | None:
    """When a laptop of the unit's volunteers last synced (None when none ever did)."""
    return session.scalar(
        select(func.max(Device.last_sync_at))
        .join(User, User.id == Device.user_id)
        .join(Team, Team.id == User.team_id)
        .join(Unit, Unit.code == Team.village_code)
        .where(_under(unit), *_laptops())
    )


@dataclass(frozen=True)
class SyncShare:
    """A commune's unrevoked laptops and how many of them synced within RECENT."""

    laptops: int
    recent: int

    @property
    def percent(self) -> float | None:
        """The share synced recently, 0–100 to one decimal (None without laptops)."""
        return round(100.0 * self.recent / self.laptops, 1) if self.laptops else None


def recent_sync_by_commune(
    session: Session, province: Unit, now: datetime | None = None
) -> dict[str, SyncShare]:
    """Per commune of a province: its laptops and those synced in the last RECENT."""
    since = (now or datetime.now(UTC)) - RECENT
    recent = func.sum(case((Device.last_sync_at >= since, 1), else_=0))
    query = (
        select(Unit.commune_code, func.count(Device.id), recent)
        .join(User, User.id == Device.user_id)
        .join(Team, Team.id == User.team_id)
        .join(Unit, Unit.code == Team.village_code)
        .where(_under(province), Device.revoked_at.is_(None), *_laptops())
        .group_by(Unit.commune_code)
    )
    return {
        str(commune): SyncShare(int(total), int(synced or 0))
        for commune, total, synced in session.execute(query)
        if commune
    }


@dataclass(frozen=True)
class Laptop:
    """One enrolled, unrevoked laptop: whose it is, where, and when it last synced."""

    device_id: str
    name: str
    user_id: int
    user_name: str
    village_code: str
    enrolled_at: datetime
    last_sync_at: datetime | None
    revoked_at: datetime | None
    stale: bool


def is_stale(last_sync_at: datetime | None, enrolled_at: datetime, now: datetime) -> bool:
    """Not synced for STALE_AFTER or more (counting from enrollment when it never synced)."""
    since = last_sync_at or enrolled_at
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return now - since >= STALE_AFTER


def laptops_under(
    session: Session,
    unit: Unit,
    now: datetime | None = None,
    user_id: int | None = None,
    include_revoked: bool = False,
) -> list[Laptop]:
    """The laptops of volunteers in a unit's villages, stalest first."""
    now = now or datetime.now(UTC)
    query = (
        select(Device, User, Team.village_code)
        .join(User, User.id == Device.user_id)
        .join(Team, Team.id == User.team_id)
        .join(Unit, Unit.code == Team.village_code)
        .where(_under(unit), *_laptops())
    )
    if user_id is not None:
        query = query.where(User.id == user_id)
    if not include_revoked:
        query = query.where(Device.revoked_at.is_(None))
    laptops = [
        Laptop(
            device_id=device.id,
            name=device.name,
            user_id=user.id,
            user_name=user.name,
            village_code=village,
            enrolled_at=device.created_at,
            last_sync_at=device.last_sync_at,
            revoked_at=device.revoked_at,
            stale=device.revoked_at is None
            and is_stale(device.last_sync_at, device.created_at, now),
        )
        for device, user, village in session.execute(query)
    ]
    far_past = datetime.min.replace(tzinfo=UTC)
    return sorted(
        laptops,
        key=lambda item: (not item.stale, item.last_sync_at or far_past, item.device_id),
    )
