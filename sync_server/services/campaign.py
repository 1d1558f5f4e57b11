"""The campaign report: the article's figures for a unit and each unit directly under it.

Per unit: teams (communes with a team, villages with a team, members, of them Youth Union
members), portal accounts vs quota, accounts for citizens outside youth age vs their group's
quota, accounts with a real transaction vs the target share, VNeID level-1 and level-2
activations, and distinct citizens helped. Counts of citizens only: no personal data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from fieldkit.domain import wire
from sync_server.db.models import Quota, Tally, Team, Unit, User
from sync_server.services.citizens import ACCOUNT, citizens_helped, transacting_accounts
from sync_server.services.official import official_counts
from sync_server.services.targets import check_period, transaction_targets
from sync_server.services.units import get_unit

VNEID_LEVEL1 = "vneid_level1"
VNEID_LEVEL2 = "vneid_level2"


def percent(part: int, whole: int | None) -> float | None:
    """part / whole in %, one decimal; None without a whole to compare with."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class CampaignRow:
    """The article's figures for one unit."""

    unit_code: str
    unit_name: str
    level: str
    communes: int = 0
    communes_with_team: int = 0
    villages_with_team: int = 0
    teams: int = 0
    members: int = 0
    youth_union_members: int = 0
    accounts: int = 0
    accounts_quota: int | None = None
    non_youth_accounts: int = 0
    non_youth_quota: int | None = None
    transacting_accounts: int = 0
    transaction_target: float = 0.0
    vneid_level1: int = 0
    vneid_level2: int = 0
    citizens_helped: int = 0
    official: dict[str, int] = field(default_factory=dict)
    """Figures the official systems give for this unit (see services.official)."""

    def gap(self, figure: str) -> int | None:
        """Our figure minus the official one (None without an official figure)."""
        official = self.official.get(figure)
        return None if official is None else int(getattr(self, figure)) - official

    @property
    def accounts_percent(self) -> float | None:
        """Portal accounts against their quota, in %."""
        return percent(self.accounts, self.accounts_quota)

    @property
    def non_youth_percent(self) -> float | None:
        """Accounts for citizens outside youth age against their group's quota, in %."""
        return percent(self.non_youth_accounts, self.non_youth_quota)

    @property
    def transaction_percent(self) -> float | None:
        """Share of accounts whose citizen also made a real transaction, in %."""
        return percent(self.transacting_accounts, self.accounts)

    def as_dict(self) -> dict[str, Any]:
        """Every figure, the percentages included (for JSON)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["gaps"] = {figure: self.gap(figure) for figure in self.official}
        data["accounts_percent"] = self.accounts_percent
        data["non_youth_percent"] = self.non_youth_percent
        data["transaction_percent"] = self.transaction_percent
        return data


@dataclass
class CampaignReport:
    """The report for one unit and period: `total` is the unit, `rows` the units under it."""

    period: str
    made_at: datetime
    total: CampaignRow
    rows: list[CampaignRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The whole report as plain JSON-ready data."""
        return {
            "unit_code": self.total.unit_code,
            "unit_name": self.total.unit_name,
            "level": self.total.level,
            "period": self.period,
            "made_at": self.made_at.isoformat(),
            "total": self.total.as_dict(),
            "rows": [row.as_dict() for row in self.rows],
        }


def _village_key(unit: Unit, village: str, commune: str | None) -> str:
    """Which row of the report a village's teams count toward."""
    return commune or "" if unit.level == wire.UnitLevel.PROVINCE else village


def _counting(report: CampaignReport, rows: dict[str, CampaignRow], key: str) -> list[CampaignRow]:
    """The rows a figure found under `key` adds to: its own row (if shown) and the total."""
    row = rows.get(key)
    return [report.total] if row is None or row is report.total else [row, report.total]


def _tallies(session: Session, codes: list[str], period: str, rows: dict[str, CampaignRow]) -> None:
    """Accounts, outside-youth accounts and VNeID activations from the kept tallies."""
    t = Tally.__table__.c
    query = select(t.unit_code, t.service, t.achieved, t.non_youth).where(
        t.unit_code.in_(codes),
        t.period == period,
        t.service.in_((ACCOUNT, VNEID_LEVEL1, VNEID_LEVEL2)),
    )
    for code, service, achieved, non_youth in session.execute(query):
        row = rows[code]
        if service == ACCOUNT:
            row.accounts, row.non_youth_accounts = achieved, non_youth
        elif service == VNEID_LEVEL1:
            row.vneid_level1 = achieved
        else:
            row.vneid_level2 = achieved
    quotas = select(Quota.unit_code, Quota.target_group, Quota.target).where(
        Quota.unit_code.in_(codes), Quota.period == period, Quota.service == ACCOUNT
    )
    for code, group, target in session.execute(quotas):
        if group == wire.QuotaGroup.ALL:
            rows[code].accounts_quota = target
        elif group == wire.QuotaGroup.NON_YOUTH:
            rows[code].non_youth_quota = target


def _teams(
    session: Session, unit: Unit, report: CampaignReport, rows: dict[str, CampaignRow]
) -> None:
    """Teams, villages and communes with a team, members and Youth Union members."""
    village = aliased(Unit)
    inside = _inside(village, unit)
    teams = (
        select(village.code, village.commune_code, func.count(Team.id))
        .join(Team, Team.village_code == village.code)
        .where(inside, village.retired.is_(False))
        .group_by(village.code, village.commune_code)
    )
    communes_with_team: dict[str, set[str]] = defaultdict(set)
    for code, commune, count in session.execute(teams):
        for row in _counting(report, rows, _village_key(unit, code, commune)):
            row.teams += count
            row.villages_with_team += 1
            communes_with_team[row.unit_code].add(commune or "")
    for code, found in communes_with_team.items():
        if rows[code].level != wire.UnitLevel.VILLAGE:
            rows[code].communes_with_team = len(found)
    members = (
        select(village.code, village.commune_code, User.youth_union, func.count(User.id))
        .join(Team, Team.village_code == village.code)
        .join(User, User.team_id == Team.id)
        .where(inside, village.retired.is_(False), User.role == "volunteer")
        .group_by(village.code, village.commune_code, User.youth_union)
    )
    for code, commune, youth_union, count in session.execute(members):
        for row in _counting(report, rows, _village_key(unit, code, commune)):
            row.members += count
            if youth_union:
                row.youth_union_members += count


def _inside(village: Any, unit: Unit) -> ColumnElement[bool]:
    """Villages of the unit (itself, when it is a village)."""
    if unit.level == wire.UnitLevel.PROVINCE:
        return and_(village.province_code == unit.code, village.level == "village")
    if unit.level == wire.UnitLevel.COMMUNE:
        return and_(village.commune_code == unit.code, village.level == "village")
    same: ColumnElement[bool] = village.code == unit.code
    return same


def _people(session: Session, units: list[Unit], period: str, rows: dict[str, CampaignRow]) -> None:
    """Accounts with a real transaction and distinct citizens helped, from the kept counts."""
    transacting = transacting_accounts(session, units, period)
    for code, count in citizens_helped(session, units, period).items():
        rows[code].citizens_helped = count
        rows[code].transacting_accounts = transacting[code]


def campaign_report(
    session: Session, unit_code: str, period: str, now: datetime | None = None
) -> CampaignReport:
    """The article's figures for a unit and the units directly under it, for one period.

    UnitError for an unknown unit, TargetError for a period that is not a year.
    """
    unit = get_unit(session, unit_code)
    check_period(period)
    children = list(
        session.scalars(
            select(Unit)
            .where(Unit.parent_code == unit.code, Unit.retired.is_(False))
            .order_by(Unit.code)
        )
    )
    report = CampaignReport(
        period=period,
        made_at=now or datetime.now(UTC),
        total=CampaignRow(unit.code, unit.name, unit.level),
        rows=[CampaignRow(c.code, c.name, c.level) for c in children],
    )
    rows = {row.unit_code: row for row in report.rows} | {unit.code: report.total}
    report.total.communes = (
        len(children)
        if unit.level == wire.UnitLevel.PROVINCE
        else int(unit.level == wire.UnitLevel.COMMUNE)
    )
    for row in report.rows:
        row.communes = int(row.level == wire.UnitLevel.COMMUNE)
    _tallies(session, sorted(rows), period, rows)
    _teams(session, unit, report, rows)
    _people(session, [unit, *children], period, rows)
    targets = transaction_targets(session, [unit, *children], period)
    official = official_counts(session, sorted(rows), period)
    for code, row in rows.items():
        row.transaction_target = targets[code]
        row.official = official.get(code, {})
    return report
