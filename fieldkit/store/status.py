"""The store's status: queue sizes, last sync and the village's quota progress."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fieldkit.domain import VIETNAM_TZ, Outcome, period_of
from fieldkit.domain.wire import VillageInfo
from fieldkit.store.entries import (
    follow_up_condition,
    returned_condition,
    sync_state,
    today_bounds,
)
from fieldkit.store.models import CITIZEN, EntryRecord
from fieldkit.store.pulled import quotas, services, tallies
from fieldkit.store.records import EntryStatus, HelpedCounts, StoreStatus, VillageProgress


def _period_bounds(period: str) -> tuple[datetime, datetime]:
    year = int(period)
    return (
        datetime(year, 1, 1, tzinfo=VIETNAM_TZ),
        datetime(year + 1, 1, 1, tzinfo=VIETNAM_TZ),
    )


def _local_unsynced(session: Session, period: str) -> dict[tuple[str, str], int]:
    """Distinct citizens with a success recorded here the server has not counted yet."""
    start, end = _period_bounds(period)
    stmt = (
        select(
            EntryRecord.village,
            EntryRecord.service,
            func.count(func.distinct(EntryRecord.id_key)),
        )
        .where(
            EntryRecord.status == EntryStatus.PENDING.value,
            EntryRecord.server_rev.is_(None),
            EntryRecord.outcome == Outcome.SUCCESS.value,
            EntryRecord.assisted_at >= start,
            EntryRecord.assisted_at < end,
        )
        .group_by(EntryRecord.village, EntryRecord.service)
    )
    return {(v, s): int(n) for v, s, n in session.execute(stmt)}


def village_progress(
    session: Session, villages: list[VillageInfo], now: datetime | None = None
) -> list[VillageProgress]:
    """One row per team village and quota-counting service for the current period."""
    period = period_of(now or datetime.now(UTC))
    synced = {(t.unit_code, t.service, t.period): t for t in tallies(session)}
    # A quota change carries the current target; a tally row only the target of its time.
    targets = {(q.unit_code, q.service, q.period): q.target for q in quotas(session)}
    local = _local_unsynced(session, period)
    rows: list[VillageProgress] = []
    counted = [s for s in services(session) if s.counts_toward_quota and s.active]
    for village in villages:
        for service in counted:
            key = (village.code, service.code, period)
            tally = synced.get(key)
            quota = targets.get(key, tally.quota if tally else None)
            rows.append(
                VillageProgress(
                    village=village.code,
                    village_name=village.name,
                    service=service.code,
                    period=period,
                    quota=quota,
                    achieved_synced=tally.achieved if tally else 0,
                    local_unsynced=local.get((village.code, service.code), 0),
                )
            )
    return rows


def helped_counts(session: Session, now: datetime | None = None) -> HelpedCounts:
    """Distinct citizens (models.CITIZEN) and services (entries), today in Vietnam and in all.

    The totals are two queries: each alone reads one index, together they scan every entry.
    """
    citizens = select(func.count(func.distinct(CITIZEN))).select_from(EntryRecord)
    services_total = session.scalar(select(func.count()).select_from(EntryRecord)) or 0
    citizens_total = session.scalar(citizens) or 0
    counts = select(func.count(func.distinct(CITIZEN)), func.count()).select_from(EntryRecord)
    start, end = today_bounds(now)
    today = counts.where(EntryRecord.assisted_at >= start, EntryRecord.assisted_at < end)
    citizens_today, services_today = session.execute(today).one()
    return HelpedCounts(
        citizens_today=int(citizens_today),
        services_today=int(services_today),
        citizens_total=int(citizens_total),
        services_total=int(services_total),
    )


def store_status(session: Session, villages: list[VillageInfo]) -> StoreStatus:
    """Counts by sync status, the last sync, and quota progress."""

    def count(status: EntryStatus) -> int:
        # A range count on the status index: cheap, because few entries wait or were refused.
        stmt = select(func.count()).select_from(EntryRecord).where(EntryRecord.status == status)
        return int(session.scalar(stmt) or 0)

    counts = {s: count(s) for s in (EntryStatus.PENDING, EntryStatus.DUPLICATE)}

    def matching(condition: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(EntryRecord).where(condition)
        return int(session.scalar(stmt) or 0)

    total = int(session.scalar(select(func.count()).select_from(EntryRecord)) or 0)
    state = sync_state(session)
    return StoreStatus(
        pending=counts[EntryStatus.PENDING],
        rejected=matching(returned_condition()),
        follow_up=matching(follow_up_condition()),
        duplicates=counts[EntryStatus.DUPLICATE],
        total=total,
        last_sync_at=state.last_sync_at,
        last_error=state.last_error,
        cursor=state.cursor,
        server_epoch=state.server_epoch,
        villages=village_progress(session, villages),
        helped=helped_counts(session),
    )
