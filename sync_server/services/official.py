"""Official counts (the portal's accounts, the police's VNeID figures) set beside ours.

A CSV of `unit_code,period,figure,value` rows is all or nothing: every bad row is named and
nothing is saved while any row is bad.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.db.models import OfficialCount
from sync_server.services.quotas import QuotaError, RowError, read_csv, whole_number
from sync_server.services.targets import TargetError, check_period
from sync_server.services.units import UnitError, get_unit

CSV_COLUMNS = ("unit_code", "period", "figure", "value")
FIGURES = ("accounts", "non_youth_accounts", "transacting_accounts", "vneid_level1", "vneid_level2")
"""The report's figures an official system can count (names as in the report's JSON)."""


def read_official_csv(data: bytes) -> list[dict[str, str | None]]:
    """Rows of an official-counts CSV; QuotaFileError if the file as a whole is unusable."""
    return read_csv(data, CSV_COLUMNS)


def _row(session: Session, raw: Mapping[str, str | None]) -> OfficialCount:
    """One checked row; QuotaError names the first bad field."""
    cleaned = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
    try:
        unit = get_unit(session, cleaned["unit_code"])
    except UnitError as exc:
        raise QuotaError("unit_code", exc.message) from None
    try:
        period = check_period(cleaned["period"])
    except TargetError as exc:
        raise QuotaError("period", exc.message) from None
    figure = cleaned["figure"].lower()
    if figure not in FIGURES:
        raise QuotaError(
            "figure",
            f"chỉ số không hỗ trợ ({cleaned['figure'][:30]!r}; dùng {', '.join(FIGURES)}) / "
            "unknown figure",
        )
    value = whole_number(cleaned["value"], "value")
    return OfficialCount(unit_code=unit.code, period=period, figure=figure, value=value)


def import_official(session: Session, rows: Iterable[Mapping[str, str | None]]) -> list[RowError]:
    """Check every row; save them all only when none is bad (row numbers count the header)."""
    errors: list[RowError] = []
    good: dict[tuple[str, str, str], OfficialCount] = {}
    for number, raw in enumerate(rows, start=2):
        try:
            row = _row(session, raw)
        except QuotaError as exc:
            errors.append(RowError(number, exc.field, exc.message))
            continue
        good[(row.unit_code, row.period, row.figure)] = row
    if errors:
        return errors
    for key, row in good.items():
        stored = session.get(OfficialCount, key)
        if stored is None:
            session.add(row)
        else:
            stored.value = row.value
    session.flush()
    return []


def official_counts(session: Session, codes: list[str], period: str) -> dict[str, dict[str, int]]:
    """Unit code -> figure -> the official count, for these units and period."""
    found: dict[str, dict[str, int]] = {}
    for start in range(0, len(codes), 500):
        query = select(OfficialCount).where(
            OfficialCount.period == period, OfficialCount.unit_code.in_(codes[start : start + 500])
        )
        for row in session.scalars(query):
            found.setdefault(row.unit_code, {})[row.figure] = row.value
    return found
