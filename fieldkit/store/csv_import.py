"""Paper forms typed into a spreadsheet: a UTF-8 CSV becomes entries, row by row."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fieldkit.domain import Entry, Problem
from fieldkit.domain.digits import ascii_int
from fieldkit.domain.formatting import parse_date
from fieldkit.domain.problems import error
from fieldkit.store.records import SavedEntry
from fieldkit.store.visits import VisitForm, check_visit

if TYPE_CHECKING:
    from fieldkit.store.store import Store

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
REQUIRED = ("name", "id_number", "birth_year", "sex", "service", "outcome", "consent")
OPTIONAL = ("phone", "village", "reasons", "note", "device_owner", "consent_method", "date")
ALIASES = {"full_name": "name", "reason": "reasons", "services": "service", "assisted_at": "date"}
_YES = {"yes", "y", "true", "1", "x", "có", "co", "đồng ý", "dong y"}
_NO = {"no", "n", "false", "0", "không", "khong", ""}
_LIST_SPLIT = re.compile(r"[;|]")

MESSAGES: dict[str, tuple[str, str]] = {
    "csv.empty": ("Tệp CSV trống.", "The CSV file is empty."),
    "csv.encoding": (
        "Tệp không phải văn bản UTF-8 (lỗi ở byte {position}). Hãy lưu lại dạng CSV UTF-8.",
        "The file is not UTF-8 text (bad byte at {position}). Save it as CSV UTF-8.",
    ),
    "csv.too_large": (
        "Tệp quá lớn (tối đa {limit} MB).",
        "The file is too large (at most {limit} MB).",
    ),
    "csv.too_many_rows": (
        "Tệp có quá nhiều dòng (tối đa {limit}).",
        "The file has too many rows (at most {limit}).",
    ),
    "csv.missing_columns": (
        "Thiếu cột: {columns}. Dòng đầu phải có: {required}.",
        "Missing columns: {columns}. The first line must name: {required}.",
    ),
    "csv.row": ("Dòng không đọc được: {detail}", "The row cannot be read: {detail}"),
    "csv.extra_cells": (
        "Dòng có nhiều ô hơn dòng tiêu đề.",
        "The row has more cells than the header.",
    ),
    "csv.birth_year": (
        "Năm sinh không phải số: {value}",
        "The birth year is not a number: {value}",
    ),
    "csv.consent": (
        "Cột consent phải là yes/no (có/không), không phải {value}.",
        "The consent column must be yes/no, not {value}.",
    ),
    "csv.date": (
        "Ngày không đúng dạng dd/mm/yyyy: {value}",
        "The date is not dd/mm/yyyy: {value}",
    ),
}


class CsvFileError(Exception):
    """The whole file is unusable (encoding, empty, columns); nothing was saved."""

    def __init__(self, code: str, **params: str) -> None:
        self.problem = error(code, "file", **params)
        super().__init__(describe(self.problem, "en"))


def describe(problem: Problem, lang: str = "vi") -> str:
    """A problem's text, knowing the CSV codes as well as the domain's."""
    if problem.code in MESSAGES:
        vi, en = MESSAGES[problem.code]
        try:
            return (en if lang == "en" else vi).format(**problem.params)
        except (KeyError, IndexError):
            return en if lang == "en" else vi
    return problem.message(lang)


@dataclass(frozen=True)
class RowProblems:
    """Why one row (numbered as a spreadsheet shows it, the header being row 1) was not saved."""

    row: int
    problems: list[Problem]
    needs_confirmation: bool = False


@dataclass
class ImportReport:
    """What an import did: saved entries and every refused row."""

    rows: int = 0
    saved: list[SavedEntry] = field(default_factory=list)
    saved_rows: int = 0
    bad_rows: list[RowProblems] = field(default_factory=list)
    warned_rows: list[RowProblems] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is fine) or a CsvFileError that says where it broke."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError("csv.too_large", limit=str(MAX_FILE_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFileError("csv.encoding", position=str(exc.start)) from exc
    if not text.strip():
        raise CsvFileError("csv.empty")
    return text


def _header(raw: list[str]) -> list[str]:
    names = [re.sub(r"\s+", "_", h.strip().lower()) for h in raw]
    return [ALIASES.get(n, n) for n in names]


def _split(value: str) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(value) if p.strip()]


def row_form(cells: dict[str, str]) -> tuple[VisitForm | None, list[Problem]]:
    """One row's cells as a visit form, or the problems of reading it."""
    problems: list[Problem] = []
    year_text = cells.get("birth_year", "").strip()
    if ascii_int(year_text, max_digits=4) is None:
        problems.append(error("csv.birth_year", "birth_year", value=year_text[:20] or "—"))
    consent_text = cells.get("consent", "").strip().lower()
    if consent_text not in _YES | _NO:
        problems.append(error("csv.consent", "consent", value=consent_text[:20]))
    date_text = cells.get("date", "")
    moment = parse_date(date_text)
    if date_text.strip() and moment is None:
        problems.append(error("csv.date", "assisted_at", value=date_text.strip()[:20]))
    if problems:
        return None, problems
    form = VisitForm(
        full_name=cells.get("name", ""),
        id_number=cells.get("id_number", ""),
        birth_year=int(year_text),
        sex=cells.get("sex", ""),
        services=_split(cells.get("service", "")),
        outcome=cells.get("outcome", ""),
        reasons=_split(cells.get("reasons", "")),
        consent=consent_text in _YES,
        phone=cells.get("phone") or None,
        village=cells.get("village") or None,
        note=cells.get("note", ""),
        device_owner=cells.get("device_owner") or None,
        consent_method=cells.get("consent_method") or None,
        assisted_at=moment,
    )
    return form, []


def import_csv(store: Store, data: bytes, confirm_warnings: bool = False) -> ImportReport:
    """Save every good row (one transaction); report every bad row with its number and reason."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _header(next(reader))
    except (StopIteration, csv.Error) as exc:
        raise CsvFileError("csv.empty") from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvFileError(
            "csv.missing_columns", columns=", ".join(missing), required=", ".join(REQUIRED)
        )
    report = ImportReport()
    ready: list[Entry] = []
    active = {s.code for s in store.services() if s.active}
    with store.lookups() as lookups:
        row_number = 1
        while True:
            row_number += 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                report.rows += 1
                detail = str(exc)[:100]
                report.bad_rows.append(
                    RowProblems(row_number, [error("csv.row", "row", detail=detail)])
                )
                continue
            if not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise CsvFileError("csv.too_many_rows", limit=str(MAX_ROWS))
            if len(cells) > len(header):
                report.bad_rows.append(RowProblems(row_number, [error("csv.extra_cells", "row")]))
                continue
            form, problems = row_form(dict(zip(header, cells, strict=False)))
            if form is None:
                report.bad_rows.append(RowProblems(row_number, problems))
                continue
            checked = check_visit(store, form, active_services=active, lookups=lookups)
            if checked.errors:
                report.bad_rows.append(RowProblems(row_number, checked.errors))
                continue
            if checked.warnings:
                report.warned_rows.append(
                    RowProblems(
                        row_number, checked.warnings, needs_confirmation=not confirm_warnings
                    )
                )
                if not confirm_warnings:
                    continue
            ready.extend(checked.entries)
            report.saved_rows += 1
    if ready:
        report.saved = store.save_entries(ready)
    return report
