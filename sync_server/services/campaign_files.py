"""The campaign report as a file: XLSX laid out for attaching as it is, CSV and JSON."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldkit.domain.formatting import format_date
from sync_server.services.campaign import CampaignReport, CampaignRow

FORMATS = ("xlsx", "csv", "json")
TITLE = "BÁO CÁO KẾT QUẢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"
TITLE_EN = "Report on the community digital-technology teams"
TOTAL_LABEL = "Tổng cộng"
HELPED_NOTE = (
    "Ghi chú: người dân được hỗ trợ ở nhiều xã được tính ở mỗi xã nhưng chỉ một lần ở dòng "
    "tổng cộng; tỷ lệ tài khoản có giao dịch so với mục tiêu của từng đơn vị."
)
HELPED_NOTE_EN = (
    "Note: a citizen helped in several communes counts in each of them but once in the totals "
    "row; each unit's share of accounts with a transaction is set against its own target."
)


class ReportFormatError(ValueError):
    """The report was asked for in a format it is not made in."""


@dataclass(frozen=True)
class Column:
    """One figure of the report: its headers, the `CampaignRow` figure it reads, whether a %.

    `metric` names the figure as the report's JSON does (`accounts`, `accounts_percent`); an
    official count is `<figure>_official` and its gap `<figure>_gap`. The web page shows the
    same columns (its `data-metric` is this name), so file and page cannot drift apart.
    """

    header: str
    metric: str
    english: str = ""
    is_percent: bool = False
    width: int = 12

    def figure(self, row: CampaignRow) -> Any:
        """The figure as the report holds it (a percentage in %, e.g. 118.2)."""
        return figure_of(row, self.metric)

    def value(self, row: CampaignRow) -> Any:
        """The figure as the file holds it (a percentage as a share, 1.182 = 118.2 %)."""
        found = self.figure(row)
        return _share(found) if self.is_percent else found


COMMUNE_FIGURES = frozenset({"communes_with_team", "communes"})
"""Figures that count communes: they do not apply to a village's row (page "—", empty cell)."""


def applies(metric: str, level: str) -> bool:
    """Whether a figure means anything for a unit of this level (a village has no communes)."""
    return not (metric in COMMUNE_FIGURES and level == "village")


def figure_of(row: CampaignRow, metric: str) -> Any:
    """A row's figure by name: an attribute, `<figure>_official` or `<figure>_gap`.

    None where the figure does not apply to the row's level (see `applies`).
    """
    if not applies(metric, row.level):
        return None
    if metric.endswith("_official"):
        return row.official.get(metric.removesuffix("_official"))
    if metric.endswith("_gap"):
        return row.gap(metric.removesuffix("_gap"))
    return getattr(row, metric)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value / 100, 4)


COLUMNS: tuple[Column, ...] = (
    Column("Mã đơn vị", "unit_code", "Unit code", width=10),
    Column("Đơn vị", "unit_name", "Unit", width=30),
    Column("Xã có tổ CNSCĐ", "communes_with_team", "Communes with a team"),
    Column("Tổng số xã", "communes", "All communes", width=10),
    Column("Thôn có tổ CNSCĐ", "villages_with_team", "Villages with a team"),
    Column("Số tổ CNSCĐ", "teams", "Teams", width=10),
    Column("Thành viên", "members", "Members", width=11),
    Column("Trong đó đoàn viên", "youth_union_members", "Of them Youth Union members"),
    Column("Tài khoản DVC quốc gia", "accounts", "Portal accounts", width=14),
    Column("Chỉ tiêu tài khoản DVC", "accounts_quota", "Quota of portal accounts", width=14),
    Column("Tỷ lệ đạt", "accounts_percent", "% of quota", True, 10),
    Column(
        "Tài khoản ngoài độ tuổi thanh niên",
        "non_youth_accounts",
        "Accounts outside youth age",
        width=16,
    ),
    Column(
        "Chỉ tiêu ngoài độ tuổi thanh niên", "non_youth_quota", "Quota outside youth age", width=16
    ),
    Column(
        "Tỷ lệ đạt (ngoài độ tuổi)", "non_youth_percent", "% of quota (outside youth age)", True, 13
    ),
    Column(
        "Tài khoản có giao dịch",
        "transacting_accounts",
        "Accounts with a real transaction",
        width=14,
    ),
    Column("Tỷ lệ có giao dịch", "transaction_percent", "Share with a transaction", True),
    Column("Mục tiêu tỷ lệ giao dịch", "transaction_target", "Target share", True, 13),
    Column("Kích hoạt VNeID mức 1", "vneid_level1", "VNeID level 1 activations", width=13),
    Column("Kích hoạt VNeID mức 2", "vneid_level2", "VNeID level 2 activations", width=13),
    Column("Người dân được hỗ trợ", "citizens_helped", "Distinct citizens helped", width=14),
)
UNIT_COLUMNS = 2
"""The first columns name the unit; the figures follow."""
OFFICIAL_LABELS = {
    "accounts": "tài khoản DVC",
    "non_youth_accounts": "TK ngoài độ tuổi TN",
    "transacting_accounts": "TK có giao dịch",
    "vneid_level1": "VNeID mức 1",
    "vneid_level2": "VNeID mức 2",
}
"""The figures official systems can count (services.official.FIGURES), as headers name them."""
HEADER_ROW = 6
"""The row of the XLSX that holds the headers (title, unit, period and date above it)."""


def _official_column(figure: str, gap: bool) -> Column:
    label = OFFICIAL_LABELS[figure]
    if gap:
        return Column(f"Chênh lệch {label} (ta − chính thức)", f"{figure}_gap", width=14)
    return Column(f"Số chính thức {label}", f"{figure}_official", width=14)


def columns_of(report: CampaignReport) -> list[Column]:
    """The report's columns: the article's figures, then official counts and gaps if any."""
    given = {f for row in (*report.rows, report.total) for f in row.official}
    extra = [
        _official_column(figure, gap)
        for figure in OFFICIAL_LABELS
        if figure in given
        for gap in (False, True)
    ]
    return [*COLUMNS, *extra]


def table(report: CampaignReport) -> list[list[Any]]:
    """The report's rows (sub-units, then the total) as the columns read them."""
    columns = columns_of(report)
    body = [[c.value(row) for c in columns] for row in report.rows]
    total = [c.value(report.total) for c in columns]
    if report.rows:
        total[1] = f"{TOTAL_LABEL} ({report.total.unit_name})"
    return [*body, total]


def write_json(report: CampaignReport, out: Path) -> None:
    """Every figure, the percentages in % (e.g. 118.0)."""
    with out.open("w", encoding="utf-8") as handle:
        json.dump(report.as_dict(), handle, ensure_ascii=False, indent=2)
        handle.write("\n")


def write_csv(report: CampaignReport, out: Path) -> None:
    """One header row, then the rows; shares as fractions (1.18 = 118 %), as in the XLSX."""
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns_of(report)])
        for row in table(report):
            writer.writerow(["" if v is None else v for v in row])


def write_xlsx(report: CampaignReport, out: Path) -> None:
    """Title, unit, period and date made; units in rows, figures in columns; totals; frozen head."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"Báo cáo {report.period}"
    total = report.total
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"Đơn vị: {total.unit_name} (mã {total.unit_code})"
    sheet["A3"] = f"Kỳ báo cáo: năm {report.period}"
    sheet["A4"] = f"Ngày lập: {format_date(report.made_at)}"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    columns = columns_of(report)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = border
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[HEADER_ROW].height = 48
    rows = table(report)
    for offset, values in enumerate(rows, start=1):
        is_total = offset == len(rows)
        for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = sheet.cell(row=HEADER_ROW + offset, column=index, value=value)
            cell.border = border
            if column.is_percent:
                cell.number_format = "0.0%"
            elif isinstance(value, int):
                cell.number_format = "#,##0"
            if is_total:
                cell.font = Font(bold=True)
    sheet.cell(row=HEADER_ROW + len(rows) + 2, column=1, value=HELPED_NOTE)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=3)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    book.save(out)


def write_report(report: CampaignReport, fmt: str, out: Path) -> None:
    """Write the report in `fmt` (xlsx, csv or json); ReportFormatError for any other."""
    writers = {"xlsx": write_xlsx, "csv": write_csv, "json": write_json}
    writer = writers.get(fmt.strip().lower())
    if writer is None:
        raise ReportFormatError(
            f"Định dạng không hỗ trợ {fmt[:20]!r} (xlsx, csv, json) / Unsupported format"
        )
    writer(report, out)
