"""A province's communes against quota: the rows of the province page and its JSON twin.

Each commune's tallies (from `unit_progress`), distinct citizens helped, counted entries
waiting for review and the share of its laptops synced recently, and the orders the page
offers: furthest behind first (lowest share of quota, over all services or one), by name,
fewest citizens helped, most entries waiting, least share of laptops synced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sync_server.db.models import Unit
from sync_server.services.citizens import citizens_helped
from sync_server.services.laptops import SyncShare
from sync_server.services.laptops import recent_sync_by_commune as recent_sync
from sync_server.services.progress import SORT_NAME, Progress, UnitProgress

CITIZENS, WAITING, SYNCED = "citizens", "waiting", "synced"
"""Sort keys for the commune table besides SORT_NAME and service codes."""


@dataclass(frozen=True)
class CommuneRow:
    """A commune's line in the province's table."""

    progress: UnitProgress
    citizens: int
    waiting: int
    sync: SyncShare

    @property
    def code(self) -> str:
        """The commune's code."""
        return self.progress.code


def waiting_of(unit: UnitProgress) -> int:
    """Counted entries waiting for review, over every service (the tally's `pending`)."""
    return sum(f.pending for f in unit.figures.values())


def sort_communes(rows: list[CommuneRow], sort: str, services: set[str]) -> list[CommuneRow]:
    """Furthest behind first (lowest share of quota, over all services or one); or by name,
    fewest citizens helped, most entries waiting, least share of laptops synced recently."""
    if sort == SORT_NAME:
        return sorted(rows, key=lambda r: (r.progress.name, r.code))
    if sort == CITIZENS:
        return sorted(rows, key=lambda r: (r.citizens, r.code))
    if sort == WAITING:
        return sorted(rows, key=lambda r: (-r.waiting, r.code))
    if sort == SYNCED:
        return sorted(rows, key=lambda r: (r.sync.percent is None, r.sync.percent or 0, r.code))
    service = sort if sort in services else None
    return sorted(rows, key=lambda r: r.progress.behind(service))


def sort_keys(progress: Progress) -> set[str]:
    """Every `?sort=` value the page knows ('' is furthest behind first)."""
    return {"", SORT_NAME, CITIZENS, WAITING, SYNCED, *(s.code for s in progress.services)}


def communes_of(
    session: Session, province: Unit, progress: Progress, now: datetime
) -> list[CommuneRow]:
    """The province's communes with citizens helped, entries waiting and laptop freshness."""
    units = [Unit(code=c.code, level=c.level) for c in progress.children]
    helped = citizens_helped(session, units, progress.period)
    synced = recent_sync(session, province, now)
    return [
        CommuneRow(c, helped.get(c.code, 0), waiting_of(c), synced.get(c.code, SyncShare(0, 0)))
        for c in progress.children
    ]
