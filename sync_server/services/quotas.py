"""Quotas (chỉ tiêu): set one, set many for seeding, import a CSV with per-row errors."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import Quota, Service, Unit
from sync_server.services.changes import NewChange, record_changes

CSV_COLUMNS = ("unit_code", "service", "period", "target")
MAX_CSV_BYTES = 20_000_000
_GROUPED = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+$")
_FIELD_VI = {"unit_code": "mã đơn vị", "service": "dịch vụ", "period": "kỳ", "target": "chỉ tiêu"}


class QuotaError(ValueError):
    """A quota was refused; names the field, message in Vietnamese / English."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class QuotaFileError(ValueError):
    """The CSV file as a whole cannot be read (encoding, empty, missing columns)."""


@dataclass(frozen=True)
class RowError:
    """A refused CSV row: its line number in the file (header = 1) and the bad field."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"dòng {self.row} / row {self.row}, {self.field}: {self.message}"


def _validate(session: Session, raw: Mapping[str, object]) -> wire.QuotaWrite:
    """Check one quota's fields, its unit and its service; QuotaError names the first bad one."""
    try:
        quota = wire.QuotaWrite.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "quota"
        value = raw.get(field, "")
        shown = str(value)[:40]
        raise QuotaError(
            field,
            f"{_FIELD_VI.get(field, field)} không hợp lệ ({shown!r}) / invalid {field}: "
            f"{first['msg']}",
        ) from None
    unit = session.get(Unit, quota.unit_code)
    if unit is None:
        raise QuotaError(
            "unit_code",
            f"không có đơn vị {quota.unit_code!r} / unknown unit {quota.unit_code!r}",
        )
    if unit.retired:
        raise QuotaError(
            "unit_code",
            f"đơn vị {quota.unit_code!r} đã giải thể / unit {quota.unit_code!r} is retired",
        )
    service = session.get(Service, quota.service)
    if service is None:
        raise QuotaError(
            "service",
            f"không có dịch vụ {quota.service!r} / unknown service {quota.service!r}",
        )
    return quota


def _change(quota: wire.QuotaWrite) -> NewChange:
    key = f"{quota.unit_code}:{quota.service}:{quota.period}"
    data = wire.QuotaRead(**quota.model_dump()).model_dump(mode="json")
    return NewChange("quota", key, quota.unit_code, data)


def _store(session: Session, quotas: list[wire.QuotaWrite]) -> int:
    """Upsert validated quotas; only real changes reach the change log."""
    changes: list[NewChange] = []
    for quota in quotas:
        row = session.get(Quota, (quota.unit_code, quota.service, quota.period))
        if row is None:
            session.add(
                Quota(
                    unit_code=quota.unit_code,
                    service=quota.service,
                    period=quota.period,
                    target=quota.target,
                )
            )
        elif row.target == quota.target:
            continue
        else:
            row.target = quota.target
        changes.append(_change(quota))
    session.flush()
    record_changes(session, changes)
    return len(changes)


def set_quota(session: Session, unit_code: str, service: str, period: str, target: int) -> Quota:
    """Create or change one quota; QuotaError names the bad field."""
    quota = _validate(
        session,
        {"unit_code": unit_code, "service": service, "period": period, "target": target},
    )
    _store(session, [quota])
    row = session.get(Quota, (quota.unit_code, quota.service, quota.period))
    assert row is not None
    return row


def set_quotas(session: Session, rows: Iterable[tuple[str, str, str, int]]) -> int:
    """Upsert many trusted quotas at once (seeding); returns how many changed."""
    items = list(rows)
    existing: dict[tuple[str, str, str], Quota] = {}
    units = sorted({r[0] for r in items})
    for start in range(0, len(units), 500):
        query = select(Quota).where(Quota.unit_code.in_(units[start : start + 500]))
        existing.update(((q.unit_code, q.service, q.period), q) for q in session.scalars(query))
    changes: list[NewChange] = []
    for unit_code, service, period, target in items:
        row = existing.get((unit_code, service, period))
        if row is None:
            session.add(Quota(unit_code=unit_code, service=service, period=period, target=target))
        elif row.target == target:
            continue
        else:
            row.target = target
        quota = wire.QuotaWrite(unit_code=unit_code, service=service, period=period, target=target)
        changes.append(_change(quota))
    session.flush()
    record_changes(session, changes)
    return len(changes)


def check_quota_rows(
    session: Session,
    rows: Iterable[Mapping[str, str | None]],
    allowed: Callable[[Unit], str | None] | None = None,
) -> tuple[list[wire.QuotaWrite], list[RowError]]:
    """Every row checked: the good quotas (last row wins per key) and every bad row.

    `allowed` may refuse a row's unit (a message) when the importer may not set its quota.
    Row numbers count the header as 1.
    """
    errors: list[RowError] = []
    good: dict[tuple[str, str, str], wire.QuotaWrite] = {}
    for number, raw in enumerate(rows, start=2):
        cleaned: dict[str, object] = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
        try:
            target_text = str(cleaned["target"]).replace(" ", "")
            if _GROUPED.match(target_text):
                target_text = target_text.replace(".", "")
            if target_text.isascii() and target_text.isdigit() and len(target_text) > 9:
                raise QuotaError(
                    "target", f"chỉ tiêu quá lớn ({target_text[:20]}) / target too large"
                )
            if not target_text.isascii() or not target_text.isdigit():
                raise QuotaError(
                    "target",
                    f"chỉ tiêu phải là số nguyên không âm ({str(cleaned['target'])[:20]!r}) / "
                    "target must be a whole number ≥ 0",
                )
            cleaned["target"] = int(target_text)
            quota = _validate(session, cleaned)
            unit = session.get(Unit, quota.unit_code)
            refusal = allowed(unit) if allowed is not None and unit is not None else None
            if refusal:
                raise QuotaError("unit_code", refusal)
        except QuotaError as exc:
            errors.append(RowError(number, exc.field, exc.message))
            continue
        good[(quota.unit_code, quota.service, quota.period)] = quota
    return list(good.values()), errors


def import_quotas(session: Session, rows: Iterable[Mapping[str, str | None]]) -> list[RowError]:
    """Save every good row; report every bad one (row numbers count the header as 1)."""
    good, errors = check_quota_rows(session, rows)
    _store(session, good)
    return errors


def import_quotas_whole(
    session: Session,
    rows: Iterable[Mapping[str, str | None]],
    allowed: Callable[[Unit], str | None] | None = None,
) -> tuple[int, list[RowError]]:
    """Save the file's quotas only when every row is good: (how many changed, bad rows)."""
    good, errors = check_quota_rows(session, rows, allowed)
    if errors:
        return 0, errors
    return _store(session, good), []


@dataclass(frozen=True)
class SplitQuota:
    """A unit's own quota for a service beside the sum of its children's quotas."""

    service: str
    own: int | None
    children_sum: int
    children_with_quota: int

    @property
    def short(self) -> bool:
        """The children's quotas add up to less than the unit's own."""
        return self.own is not None and self.children_sum < self.own


def quota_split(session: Session, unit: Unit, period: str) -> list[SplitQuota]:
    """Per service: the unit's own quota against the sum of its child units' quotas."""
    own = {
        q.service: q.target
        for q in session.scalars(
            select(Quota).where(Quota.unit_code == unit.code, Quota.period == period)
        )
    }
    children = session.execute(
        select(Quota.service, func.sum(Quota.target), func.count())
        .join(Unit, Unit.code == Quota.unit_code)
        .where(Unit.parent_code == unit.code, Quota.period == period, ~Unit.retired)
        .group_by(Quota.service)
    ).all()
    sums = {service: (int(total or 0), int(count)) for service, total, count in children}
    return [
        SplitQuota(service, own.get(service), *sums.get(service, (0, 0)))
        for service in sorted(set(own) | set(sums))
    ]


def read_quota_csv(data: bytes) -> list[dict[str, str | None]]:
    """Rows of a quota CSV (UTF-8, optional BOM, comma or semicolon); QuotaFileError if unusable."""
    if len(data) > MAX_CSV_BYTES:
        raise QuotaFileError("Tệp quá lớn / File too large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QuotaFileError(
            f"Tệp không phải UTF-8 (byte {exc.start}) / File is not UTF-8 (byte {exc.start})"
        ) from None
    if not text.strip():
        raise QuotaFileError("Tệp rỗng / The file is empty")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise QuotaFileError(
            f"Thiếu cột {', '.join(missing)} (cần: {', '.join(CSV_COLUMNS)}) / "
            f"Missing columns {', '.join(missing)} (need: {', '.join(CSV_COLUMNS)})"
        )
    reader.fieldnames = header
    try:
        return [{k: v for k, v in row.items() if isinstance(k, str)} for row in reader]
    except csv.Error as exc:
        raise QuotaFileError(f"CSV hỏng / Broken CSV: {exc}") from None
