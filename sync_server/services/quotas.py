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
from fieldkit.domain.digits import ascii_int, is_ascii_digits
from sync_server.db.models import Quota, Service, Unit
from sync_server.services.changes import NewChange, record_changes

CSV_COLUMNS = ("unit_code", "service", "period", "target")
OPTIONAL_COLUMNS = ("group",)
"""An empty or missing group is `all`."""
MAX_CSV_BYTES = 20_000_000
_GROUPED = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+$")
_FIELD_VI = {
    "unit_code": "mã đơn vị",
    "service": "dịch vụ",
    "period": "kỳ",
    "target": "chỉ tiêu",
    "group": "nhóm đối tượng",
    "figure": "chỉ số",
    "value": "số liệu",
}
QuotaKey = tuple[str, str, str, str]
"""(unit code, service, period, target group)."""


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


def key_of(quota: wire.QuotaWrite) -> QuotaKey:
    """A quota's primary key."""
    return (quota.unit_code, quota.service, quota.period, quota.group.value)


def _change(quota: wire.QuotaWrite) -> NewChange | None:
    """What devices pull: quotas for everyone only (a laptop shows no group quotas)."""
    if quota.group != wire.QuotaGroup.ALL:
        return None
    key = f"{quota.unit_code}:{quota.service}:{quota.period}"
    data = wire.QuotaRead(**quota.model_dump()).model_dump(mode="json", exclude={"group"})
    return NewChange("quota", key, quota.unit_code, data)


def _upsert(session: Session, found: Quota | None, quota: wire.QuotaWrite) -> bool:
    """Add or change one quota row; whether anything changed."""
    if found is None:
        session.add(
            Quota(
                unit_code=quota.unit_code,
                service=quota.service,
                period=quota.period,
                target_group=quota.group.value,
                target=quota.target,
            )
        )
        return True
    if found.target == quota.target:
        return False
    found.target = quota.target
    return True


def _store(session: Session, quotas: list[wire.QuotaWrite]) -> int:
    """Upsert validated quotas; only real changes reach the change log."""
    changed = [q for q in quotas if _upsert(session, session.get(Quota, key_of(q)), q)]
    session.flush()
    record_changes(session, [c for c in map(_change, changed) if c is not None])
    return len(changed)


def set_quota(
    session: Session,
    unit_code: str,
    service: str,
    period: str,
    target: int,
    group: str = wire.QuotaGroup.ALL.value,
) -> Quota:
    """Create or change one quota; QuotaError names the bad field."""
    quota = _validate(
        session,
        {
            "unit_code": unit_code,
            "service": service,
            "period": period,
            "target": target,
            "group": group,
        },
    )
    _store(session, [quota])
    row = session.get(Quota, key_of(quota))
    assert row is not None
    return row


def set_quotas(
    session: Session, rows: Iterable[tuple[str, str, str, int] | tuple[str, str, str, int, str]]
) -> int:
    """Upsert many trusted quotas at once (seeding; a fifth item is the group); returns changes."""
    items = [
        wire.QuotaWrite(
            unit_code=r[0],
            service=r[1],
            period=r[2],
            target=r[3],
            group=wire.QuotaGroup(r[4] if len(r) > 4 else "all"),
        )
        for r in rows
    ]
    existing: dict[QuotaKey, Quota] = {}
    units = sorted({q.unit_code for q in items})
    for start in range(0, len(units), 500):
        query = select(Quota).where(Quota.unit_code.in_(units[start : start + 500]))
        existing.update(
            ((q.unit_code, q.service, q.period, q.target_group), q) for q in session.scalars(query)
        )
    changed = [q for q in items if _upsert(session, existing.get(key_of(q)), q)]
    session.flush()
    record_changes(session, [c for c in map(_change, changed) if c is not None])
    return len(changed)


def whole_number(text: str, field: str) -> int:
    """A count typed in a CSV cell (`1234`, `1.234`, `1 234`); QuotaError names the field."""
    shown = _FIELD_VI.get(field, field)
    digits = text.replace(" ", "")
    if _GROUPED.match(digits):
        digits = digits.replace(".", "")
    if not is_ascii_digits(digits):
        raise QuotaError(
            field,
            f"{shown} phải là số nguyên không âm ({text[:20]!r}) / "
            f"{field} must be a whole number ≥ 0",
        )
    number = ascii_int(digits, max_digits=9)
    if number is None:
        raise QuotaError(field, f"{shown} quá lớn ({digits[:20]}) / {field} too large")
    return number


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
    good: dict[QuotaKey, wire.QuotaWrite] = {}
    for number, raw in enumerate(rows, start=2):
        cleaned: dict[str, object] = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
        cleaned["group"] = (raw.get("group") or "").strip().lower() or "all"
        try:
            cleaned["target"] = whole_number(str(cleaned["target"]), "target")
            quota = _validate(session, cleaned)
            unit = session.get(Unit, quota.unit_code)
            refusal = allowed(unit) if allowed is not None and unit is not None else None
            if refusal:
                raise QuotaError("unit_code", refusal)
        except QuotaError as exc:
            errors.append(RowError(number, exc.field, exc.message))
            continue
        good[key_of(quota)] = quota
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
    """A unit's own quota for a service and target group beside the sum of its children's."""

    service: str
    own: int | None
    children_sum: int
    children_with_quota: int
    group: str = wire.QuotaGroup.ALL.value

    @property
    def short(self) -> bool:
        """The children's quotas add up to less than the unit's own."""
        return self.own is not None and self.children_sum < self.own


def quota_split(session: Session, unit: Unit, period: str) -> list[SplitQuota]:
    """Per service and target group: the unit's own quota against the sum of its children's."""
    own = {
        (q.service, q.target_group): q.target
        for q in session.scalars(
            select(Quota).where(Quota.unit_code == unit.code, Quota.period == period)
        )
    }
    children = session.execute(
        select(Quota.service, Quota.target_group, func.sum(Quota.target), func.count())
        .join(Unit, Unit.code == Quota.unit_code)
        .where(Unit.parent_code == unit.code, Quota.period == period, ~Unit.retired)
        .group_by(Quota.service, Quota.target_group)
    ).all()
    sums = {(service, group): (int(total or 0), int(n)) for service, group, total, n in children}
    order = {group.value: index for index, group in enumerate(wire.QuotaGroup)}
    return [
        SplitQuota(service, own.get((service, group)), *sums.get((service, group), (0, 0)), group)
        for service, group in sorted(set(own) | set(sums), key=lambda k: (k[0], order.get(k[1], 9)))
    ]


def read_quota_csv(data: bytes) -> list[dict[str, str | None]]:
    """Rows of a quota CSV (UTF-8, optional BOM, comma or semicolon); QuotaFileError if unusable."""
    return read_csv(data, CSV_COLUMNS)


def read_csv(data: bytes, columns: tuple[str, ...]) -> list[dict[str, str | None]]:
    """Rows of a CSV with these columns (UTF-8, optional BOM, comma or semicolon)."""
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
    missing = [c for c in columns if c not in header]
    if missing:
        raise QuotaFileError(
            f"Thiếu cột {', '.join(missing)} (cần: {', '.join(columns)}) / "
            f"Missing columns {', '.join(missing)} (need: {', '.join(columns)})"
        )
    reader.fieldnames = header
    try:
        return [{k: v for k, v in row.items() if isinstance(k, str)} for row in reader]
    except csv.Error as exc:
        raise QuotaFileError(f"CSV hỏng / Broken CSV: {exc}") from None
