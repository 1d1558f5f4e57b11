"""A unit's progress against quota, and its children's, from the tallies of the levels shown.

A province comes with its communes, a commune with its villages, a village alone. The figures
are the tally service's own rows (`read_tally`), so a page built from them shows exactly what
`sync-server tally --json` prints for the same unit and period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import DEFAULT_SERVICES, wire
from sync_server.db.models import Service, Unit
from sync_server.services.tally import read_tally

CATALOGUE_ORDER = {service.code: n for n, service in enumerate(DEFAULT_SERVICES)}
"""The default catalogue's order (VNeID first); services a province added come after, by code."""
SORT_NAME = "name"
"""Sort key for villages in name order; any service code sorts by that service's percentage."""
CHILD_LEVEL = {"province": "commune", "commune": "village"}
"""The level a unit's page lists below it (a village lists none)."""


@dataclass(frozen=True)
class Figures:
    """One unit's counts for one service and period, as the tally keeps them."""

    quota: int | None = None
    achieved: int = 0
    percentage: float | None = None
    pending: int = 0
    approved: int = 0
    rejected: int = 0

    @classmethod
    def of(cls, row: wire.TallyRow) -> Figures:
        """The figures of one tally row."""
        return cls(
            quota=row.quota,
            achieved=row.achieved,
            percentage=row.percentage,
            pending=row.pending,
            approved=row.approved,
            rejected=row.rejected,
        )

    @property
    def bar(self) -> float:
        """How full the progress bar is drawn, 0–100 (achieved beyond quota fills it)."""
        if self.percentage is None:
            return 0.0
        return max(0.0, min(100.0, self.percentage))


@dataclass
class UnitProgress:
    """A unit and its figures per service code."""

    code: str
    name: str
    level: str
    figures: dict[str, Figures] = field(default_factory=dict)

    def get(self, service: str) -> Figures:
        """The figures of a service (zeros and no quota when nothing was recorded)."""
        return self.figures.get(service, Figures())

    def behind(self, service: str | None = None) -> tuple[int, float, str]:
        """Sort key: lowest share of quota first (one service, or the worst of all); none last."""
        shares = [
            f.achieved / f.quota
            for code, f in self.figures.items()
            if f.quota and (service is None or code == service)
        ]
        if not shares:
            return (1, 0.0, self.code)
        return (0, min(shares), self.code)


@dataclass(frozen=True)
class ServiceInfo:
    """A service of the catalogue, as pages label it."""

    code: str
    label_vi: str
    label_en: str

    def label(self, lang: str) -> str:
        """The label in the page's language."""
        return self.label_vi if lang == "vi" else self.label_en


@dataclass
class Progress:
    """The unit itself, the units right below it (communes or villages) and the services shown."""

    unit: UnitProgress
    children: list[UnitProgress]
    services: list[ServiceInfo]
    period: str

    @property
    def villages(self) -> list[UnitProgress]:
        """A commune's villages (the children, by the name a commune page uses)."""
        return self.children


def services_shown(session: Session, codes: set[str]) -> list[ServiceInfo]:
    """Services counting toward quotas, and any other service with figures, in catalogue order."""
    rows = session.scalars(select(Service)).all()
    shown = [
        ServiceInfo(s.code, s.label_vi, s.label_en)
        for s in rows
        if (s.active and s.counts_toward_quota) or s.code in codes
    ]
    return sorted(shown, key=lambda s: (CATALOGUE_ORDER.get(s.code, len(CATALOGUE_ORDER)), s.code))


def sort_villages(villages: list[UnitProgress], sort: str | None) -> list[UnitProgress]:
    """Villages furthest behind first (over all services, or one); by name on request."""
    if sort == SORT_NAME:
        return sorted(villages, key=lambda v: (v.name, v.code))
    return sorted(villages, key=lambda v: v.behind(sort or None))


def unit_progress(session: Session, unit: Unit, period: str, sort: str | None = None) -> Progress:
    """A province with its communes, a commune with its villages, or a village alone.

    Reads the tallies of the unit and the level right below it only (never the entries, never
    a province's villages).
    """
    child_level = CHILD_LEVEL.get(unit.level)
    rows = read_tally(session, unit.code, period, subtree=child_level is not None, children=True)
    by_code: dict[str, UnitProgress] = {}
    own = UnitProgress(unit.code, unit.name, unit.level)
    by_code[unit.code] = own
    children: list[UnitProgress] = []
    if child_level is not None:
        for child in session.scalars(
            select(Unit)
            .where(Unit.parent_code == unit.code, Unit.level == child_level, ~Unit.retired)
            .order_by(Unit.code)
        ):
            progress = UnitProgress(child.code, child.name, child.level)
            by_code[child.code] = progress
            children.append(progress)
    codes: set[str] = set()
    for row in rows:
        target = by_code.get(row.unit_code)
        if target is None:  # a retired unit's history stays in its parent's figures
            continue
        target.figures[row.service] = Figures.of(row)
        codes.add(row.service)
    return Progress(
        unit=own,
        children=sort_villages(children, sort),
        services=services_shown(session, codes),
        period=period,
    )
