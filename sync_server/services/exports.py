"""Export a unit's entries to CSV or XLSX, with masked identity and phone numbers only."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import Outcome, Reason, mask_phone, outcome_label, reason_label, wire
from fieldkit.domain.formatting import format_datetime
from sync_server.db.models import AuditLog, Entry, Service, Unit
from sync_server.services.units import get_unit

FORMATS = ("csv", "xlsx")
HEADERS = (
    "Mã mục", "Mã lượt", "Mã thôn", "Thôn", "Mã xã", "Xã", "Dịch vụ", "Kết quả", "Lý do",
    "Thời gian", "Họ tên", "Số định danh", "Năm sinh", "Giới tính", "Điện thoại",
    "Thiết bị của", "Trạng thái duyệt", "Được tính",
)  # fmt: skip
_SEX_VI = {"male": "Nam", "female": "Nữ"}
_OWNER_VI = {"citizen": "Người dân", "relative": "Người thân", "volunteer": "Tình nguyện viên"}
_REVIEW_VI = {
    "pending": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Từ chối",
    "has_issues": "Có vấn đề",
}


class ExportError(ValueError):
    """The export was refused (unknown unit, bad format)."""


def _label(enum: Any, value: str, labeller: Any) -> str:
    try:
        return str(labeller(enum(value)))
    except ValueError:
        return value


def _rows(session: Session, unit: Unit) -> Iterator[list[Any]]:
    names: dict[str, str] = {c: n for c, n in session.execute(select(Unit.code, Unit.name))}
    services: dict[str, str] = {
        c: label for c, label in session.execute(select(Service.code, Service.label_vi))
    }
    query = select(Entry).order_by(Entry.assisted_at, Entry.id)
    if unit.level == wire.UnitLevel.PROVINCE:
        query = query.where(Entry.province_code == unit.code)
    elif unit.level == wire.UnitLevel.COMMUNE:
        query = query.where(Entry.commune_code == unit.code)
    else:
        query = query.where(Entry.village_code == unit.code)
    for entry in session.scalars(query.execution_options(yield_per=2000)):
        reasons = [r for r in (entry.reasons or "").split(",") if r]
        yield [
            entry.id,
            entry.visit_id or "",
            entry.village_code,
            names.get(entry.village_code, ""),
            entry.commune_code,
            names.get(entry.commune_code, ""),
            services.get(entry.service, entry.service),
            _label(Outcome, entry.outcome, outcome_label),
            "; ".join(_label(Reason, r, reason_label) for r in reasons),
            format_datetime(entry.assisted_at),
            entry.full_name,
            entry.id_masked,
            entry.birth_year,
            _SEX_VI.get(entry.sex, entry.sex),
            mask_phone(entry.phone) if entry.phone else "",
            _OWNER_VI.get(entry.device_owner, entry.device_owner),
            _REVIEW_VI.get(entry.review_status, entry.review_status),
            "Có" if entry.counted else "Không",
        ]


def _write_csv(rows: Iterator[list[Any]], out: Path) -> int:
    count = 0
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _write_xlsx(rows: Iterator[list[Any]], out: Path, title: str) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Entries")
    sheet.append(list(HEADERS))
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    book.save(out)
    return count


def export_entries(
    session: Session, unit_code: str, fmt: str, out: Path, user_id: int | None = None
) -> int:
    """Write the unit's entries (its whole subtree) to `out` and audit it; the number of rows."""
    unit, count = write_export(session, unit_code, fmt, out)
    record_export(session, unit, fmt, count, user_id)
    return count


def write_export(session: Session, unit_code: str, fmt: str, out: Path) -> tuple[Unit, int]:
    """Write the unit's entries (its whole subtree) to `out`, only reading; unit and row count."""
    fmt = fmt.lower().strip()
    if fmt not in FORMATS:
        raise ExportError(f"Định dạng không hỗ trợ {fmt!r} (csv, xlsx) / Unsupported format")
    unit = get_unit(session, unit_code)
    rows = _rows(session, unit)
    count = _write_csv(rows, out) if fmt == "csv" else _write_xlsx(rows, out, unit.code)
    return unit, count


def record_export(session: Session, unit: Unit, fmt: str, count: int, user_id: int | None) -> None:
    """The audit row of an export (a separate write, so the file is written outside it)."""
    session.add(
        AuditLog(
            user_id=user_id,
            action="export",
            entry_id=None,
            detail=f"unit={unit.code} format={fmt.lower().strip()} rows={count}",
            unit_code=unit.commune_code or unit.code,
        )
    )
    session.flush()
