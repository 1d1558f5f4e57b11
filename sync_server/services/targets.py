"""Target shares of portal accounts with a real transaction, per unit and period (default 40 %)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.db.models import TransactionTarget, Unit
from sync_server.services.units import get_unit

DEFAULT_TRANSACTION_TARGET = 40.0
"""The share (in %) a unit without a target of its own, or of its province's, is held to."""
_PERIOD = re.compile(r"^[0-9]{4}$")


class TargetError(ValueError):
    """A target share was refused; the message is Vietnamese / English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_percent(text: str) -> float:
    """A share typed as `40`, `40 %`, `12,5` or `12.5`; TargetError unless within 0–100."""
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise TargetError(
            f"Tỷ lệ phải là số từ 0 đến 100 ({text[:20]!r}) / share must be a number 0–100"
        ) from None
    if not 0 <= value <= 100:
        raise TargetError(f"Tỷ lệ phải từ 0 đến 100 ({text[:20]!r}) / share must be 0–100")
    return value


def check_period(period: str) -> str:
    """A period is a four-digit year; TargetError otherwise."""
    if not _PERIOD.match(period):
        raise TargetError(f"Kỳ phải là năm, ví dụ 2026 ({period[:20]!r}) / period must be a year")
    return period


def set_transaction_target(
    session: Session, unit_code: str, period: str, percent: float
) -> TransactionTarget:
    """Create or change a unit's target share for a period."""
    unit = get_unit(session, unit_code)
    check_period(period)
    if not 0 <= percent <= 100:
        raise TargetError("Tỷ lệ phải từ 0 đến 100 / share must be 0–100")
    row = session.get(TransactionTarget, (unit.code, period))
    if row is None:
        row = TransactionTarget(unit_code=unit.code, period=period, percent=percent)
        session.add(row)
    else:
        row.percent = percent
    session.flush()
    return row


def transaction_targets(session: Session, units: Iterable[Unit], period: str) -> dict[str, float]:
    """Each unit's target share: its own, else its commune's, else its province's, else 40 %."""
    chosen = list(units)
    lineage = {u.code: [c for c in (u.code, u.commune_code, u.province_code) if c] for u in chosen}
    codes = sorted({c for chain in lineage.values() for c in chain})
    stored: dict[str, float] = {}
    for start in range(0, len(codes), 500):
        query = select(TransactionTarget.unit_code, TransactionTarget.percent).where(
            TransactionTarget.period == period,
            TransactionTarget.unit_code.in_(codes[start : start + 500]),
        )
        stored.update((code, float(percent)) for code, percent in session.execute(query))
    return {
        code: next((stored[c] for c in chain if c in stored), DEFAULT_TRANSACTION_TARGET)
        for code, chain in lineage.items()
    }
