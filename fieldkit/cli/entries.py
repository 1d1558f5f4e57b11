"""Entries on this laptop: `add` one visit, `import` paper forms from CSV, `list` them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fieldkit.cli import entry_options as opt
from fieldkit.cli.context import Context, context_of
from fieldkit.cli.failures import EXIT_BAD_INPUT, EXIT_UNCONFIRMED, Failure, failures
from fieldkit.cli.output import emit_json, problem_json, problem_lines

if TYPE_CHECKING:
    from fieldkit.store import EntryRow
    from fieldkit.store.visits import VisitCheck


def parse_when(text: str | None, ctx: Context) -> datetime | None:
    """--at: dd/mm/yyyy [HH:MM] in Vietnam's time (fieldkit.domain.formatting); None means now."""
    if not text:
        return None
    from fieldkit.domain.formatting import parse_date

    moment = parse_date(text)
    if moment is None:
        raise Failure(
            ctx.t(
                f"Ngày giờ không đúng dạng dd/mm/yyyy [HH:MM]: {text[:40]}",
                f"Date is not dd/mm/yyyy [HH:MM]: {text[:40]}",
            ),
            EXIT_BAD_INPUT,
        )
    return moment


def refuse_unless_ready(checked: VisitCheck, yes: bool, as_json: bool, ctx: Context) -> None:
    """Stop with the errors (exit 2), or the warnings not confirmed with --yes (exit 3)."""
    if checked.errors:
        if as_json:
            emit_json({"errors": problem_json(checked.errors, ctx.lang)})
        lines = [ctx.t("Không lưu được:", "Not saved:"), *problem_lines(checked.errors)]
        raise Failure("\n".join(lines), EXIT_BAD_INPUT)
    if checked.warnings and not yes:
        if as_json:
            emit_json({"entries": [], "warnings": problem_json(checked.warnings, ctx.lang)})
        lines = [
            ctx.t("Cần xác nhận (thêm --yes):", "Needs confirmation (add --yes):"),
            *problem_lines(checked.warnings),
        ]
        raise Failure("\n".join(lines), EXIT_UNCONFIRMED)


def add(
    typer_ctx: typer.Context,
    name: Annotated[str, opt.NAME],
    id_number: Annotated[str, opt.ID_NUMBER],
    birth_year: Annotated[int, opt.BIRTH_YEAR],
    sex: Annotated[str, opt.SEX],
    service: Annotated[list[str], opt.SERVICE],
    outcome: Annotated[str, opt.OUTCOME],
    reason: Annotated[list[str] | None, opt.REASON] = None,
    phone: Annotated[str | None, opt.PHONE] = None,
    village: Annotated[str | None, opt.VILLAGE] = None,
    consent: Annotated[bool, opt.CONSENT] = False,
    consent_method: Annotated[str | None, opt.CONSENT_METHOD] = None,
    yes: Annotated[bool, opt.YES] = False,
    note: Annotated[str, opt.NOTE] = "",
    device_owner: Annotated[str | None, opt.DEVICE_OWNER] = None,
    at: Annotated[str | None, opt.AT] = None,
    as_json: Annotated[bool, opt.JSON] = False,
) -> None:
    """Ghi một lần hỗ trợ (mỗi dịch vụ một bản ghi) / record one visit."""
    ctx = context_of(typer_ctx)
    with failures(ctx):
        from fieldkit.store.visits import VisitForm, check_visit

        form = VisitForm(
            full_name=name,
            id_number=id_number,
            birth_year=birth_year,
            sex=sex,
            services=list(service),
            outcome=outcome,
            reasons=list(reason or []),
            consent=consent,
            phone=phone,
            village=village,
            note=note,
            device_owner=device_owner,
            consent_method=consent_method,
            assisted_at=parse_when(at, ctx),
        )
        with ctx.store() as store:
            checked = check_visit(store, form)
            refuse_unless_ready(checked, yes, as_json, ctx)
            saved = store.save_entries(checked.entries)
        if as_json:
            emit_json(
                {
                    "entries": [
                        {"id": str(s.entry_id), "service": e.service, "mutation_id": s.mutation_id}
                        for s, e in zip(saved, checked.entries, strict=True)
                    ],
                    "warnings": problem_json(checked.warnings, ctx.lang),
                }
            )
            return
        for line in problem_lines(checked.warnings):
            typer.echo(ctx.t("Cảnh báo đã xác nhận ", "Confirmed warning ") + line, err=True)
        for s in saved:
            typer.echo(str(s.entry_id))


def import_file(
    typer_ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp CSV UTF-8 / UTF-8 CSV file.")],
    yes: Annotated[bool, typer.Option("--yes", help="Lưu cả dòng có cảnh báo.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Nhập phiếu giấy từ tệp CSV / import paper forms from a CSV file."""
    ctx = context_of(typer_ctx)
    with failures(ctx):
        from fieldkit.store.csv_import import CsvFileError, describe, import_csv

        if not file.is_file():
            raise Failure(ctx.t(f"Không thấy tệp {file}", f"No such file: {file}"), EXIT_BAD_INPUT)
        data = file.read_bytes()
        with ctx.store() as store:
            try:
                report = import_csv(store, data, confirm_warnings=yes)
            except CsvFileError as exc:
                raise Failure(
                    f"{describe(exc.problem, 'vi')} / {describe(exc.problem, 'en')}", EXIT_BAD_INPUT
                ) from None
        refused = report.bad_rows + [r for r in report.warned_rows if r.needs_confirmation]
        refused.sort(key=lambda r: r.row)
        if as_json:
            emit_json(
                {
                    "rows": report.rows,
                    "saved_rows": report.saved_rows,
                    "entries": [str(s.entry_id) for s in report.saved],
                    "refused": [
                        {
                            "row": r.row,
                            "needs_confirmation": r.needs_confirmation,
                            "problems": problem_json(r.problems, ctx.lang),
                        }
                        for r in refused
                    ],
                }
            )
        else:
            typer.echo(
                ctx.t(
                    f"Đã lưu {report.saved_rows}/{report.rows} dòng ({len(report.saved)} bản ghi).",
                    f"Saved {report.saved_rows}/{report.rows} rows ({len(report.saved)} entries).",
                )
            )
            for r in refused:
                label = ctx.t("cần xác nhận (--yes)", "needs --yes") if r.needs_confirmation else ""
                typer.echo(
                    ctx.t(f"Dòng {r.row}", f"Row {r.row}") + (f" [{label}]" if label else "")
                )
                for line in problem_lines(r.problems):
                    typer.echo("  " + line)
        if refused:
            raise typer.Exit(EXIT_BAD_INPUT)


def _entry_json(row: EntryRow) -> dict[str, Any]:
    from fieldkit.domain import mask_id_number

    data = asdict(row)
    data["id_number"] = mask_id_number(row.id_number)
    data["returned"] = row.returned
    data["editable"] = row.editable
    data["number_editable"] = row.number_editable
    return data


def list_entries(
    typer_ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Chỉ bản ghi chưa gửi.")] = False,
    rejected: Annotated[
        bool, typer.Option("--rejected", help="Chỉ bản ghi bị trả lại, cần sửa / to fix.")
    ] = False,
    follow_up: Annotated[
        bool, typer.Option("--follow-up", help="Chỉ bản ghi hẹn quay lại / outcome pending.")
    ] = False,
    search: Annotated[str, typer.Option("--search", help="Tìm theo tên / số.")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Liệt kê bản ghi, mới nhất trước / list entries, newest first."""
    ctx = context_of(typer_ctx)
    with failures(ctx):
        from fieldkit.domain import mask_id_number
        from fieldkit.domain.formatting import format_date, format_datetime
        from fieldkit.store import EntryFilter, EntryQuery
        from fieldkit.store.records import RETURNED_DECISIONS

        chosen = EntryFilter.PENDING if pending else EntryFilter.ALL
        chosen = EntryFilter.REJECTED if rejected else chosen
        chosen = EntryFilter.FOLLOW_UP if follow_up else chosen
        query = EntryQuery(search=search, filter=chosen, offset=offset, limit=limit)
        with ctx.store() as store:
            rows = store.query_entries(query)
            total = store.count_entries(query)
        if as_json:
            emit_json({"total": total, "entries": [_entry_json(r) for r in rows]})
            return
        if not rows:
            typer.echo(ctx.t("Chưa có bản ghi nào.", "No entries."))
            return
        for r in rows:
            number = mask_id_number(r.id_number)
            typer.echo(
                f"{format_datetime(r.assisted_at)}  {r.full_name or '—':<28} {number}  "
                f"{r.service:<16} {r.outcome.value:<9} {r.status.value}"
            )
            if r.reject_message:
                typer.echo(f"    ↳ {r.reject_message}")
            if r.review_decision in RETURNED_DECISIONS:
                reason = r.review_reason or "—"
                typer.echo(ctx.t(f"    ↳ bị trả lại: {reason}", f"    ↳ returned: {reason}"))
            if r.returned:
                typer.echo(
                    ctx.t(f"    ↳ sửa: fieldkit edit {r.id}", f"    ↳ fix: fieldkit edit {r.id}")
                )
            if r.duplicate_village:
                when = format_datetime(r.duplicate_at) if r.duplicate_at else "—"
                place = r.duplicate_village_name or r.duplicate_village
                typer.echo(
                    ctx.t(f"    ↳ đã tính tại {place}, {when}", f"    ↳ counted in {place}, {when}")
                )
            elif r.duplicate_at:  # counted in another commune: only since which day
                day = format_date(r.duplicate_at)
                typer.echo(
                    ctx.t(
                        f"    ↳ đã tính ở xã/phường khác từ ngày {day}",
                        f"    ↳ counted in another commune since {day}",
                    )
                )
        typer.echo(ctx.t(f"{len(rows)}/{total} bản ghi", f"{len(rows)}/{total} entries"))
