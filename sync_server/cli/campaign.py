"""`sync-server report campaign` and `sync-server target set`: the province's campaign figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from fieldkit.domain import period_of
from sync_server.cli.app import (
    CliError,
    context_of,
    read_file,
    report_app,
    target_app,
    write_private,
)

official_app = typer.Typer(help="Số liệu chính thức / official counts", no_args_is_help=True)
report_app.add_typer(official_app, name="official")


@report_app.command("campaign")
def report_campaign(
    ctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit", help="Mã tỉnh hoặc xã / province or commune")],
    period: Annotated[str | None, typer.Option("--period", help="Năm, mặc định năm nay")] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="xlsx|csv|json (mặc định theo đuôi tệp, hoặc json)"),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Tệp ghi ra (không có: in ra)")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Ghi đè tệp đã có / overwrite an existing file")
    ] = False,
) -> None:
    """Báo cáo chiến dịch / the campaign report for a unit and each unit under it.

    Written with mode 0600 and never over an existing file without --force; without --out,
    JSON or CSV is printed.
    """
    from sync_server.services.campaign import campaign_report
    from sync_server.services.campaign_files import FORMATS, write_csv, write_report

    suffix = out.suffix.lstrip(".").lower() if out is not None else ""
    chosen = (fmt or (suffix if suffix in FORMATS else "xlsx" if out else "json")).lower()
    if chosen not in FORMATS:
        raise CliError(f"Định dạng không hỗ trợ {chosen[:20]!r} (xlsx, csv, json) / bad format")
    if out is None and chosen == "xlsx":
        raise CliError("XLSX cần --out FILE / XLSX needs --out FILE")
    with context_of(ctx).session() as session:
        report = campaign_report(session, unit, period or period_of(datetime.now(UTC)))
    if out is None:
        if chosen == "json":
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            import tempfile

            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "report.csv"
                write_csv(report, path)
                typer.echo(path.read_text(encoding="utf-8-sig"), nl=False)
        return
    write_private(out, force, lambda temporary: write_report(report, chosen, temporary))
    typer.echo(
        f"Đã ghi báo cáo {report.total.unit_code} năm {report.period} vào {out} / report written"
    )


@target_app.command("set")
def target_set(
    ctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit")],
    percent: Annotated[
        str, typer.Option("--percent", help="Tỷ lệ tài khoản có giao dịch, %, ví dụ 40")
    ],
    period: Annotated[str | None, typer.Option("--period", help="Năm, mặc định năm nay")] = None,
) -> None:
    """Đặt mục tiêu tỷ lệ tài khoản có giao dịch / set the real-transaction target share.

    A unit without its own target takes its commune's, then its province's, then 40 %.
    """
    from fieldkit.domain.formatting import format_percent
    from sync_server.services.targets import parse_percent, set_transaction_target

    share = parse_percent(percent)
    with context_of(ctx).session() as session:
        row = set_transaction_target(session, unit, period or period_of(datetime.now(UTC)), share)
    typer.echo(
        f"Mục tiêu tỷ lệ có giao dịch / target share {row.unit_code} {row.period}: "
        f"{format_percent(row.percent)}"
    )


@official_app.command("import")
def official_import(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Nhập số liệu chính thức / import official counts (unit_code,period,figure,value).

    All or nothing: every bad row is named, and nothing is saved while any row is bad.
    """
    from fieldkit.domain.formatting import format_number
    from sync_server.services.official import import_official, read_official_csv

    rows = read_official_csv(read_file(file))
    with context_of(ctx).session() as session:
        errors = import_official(session, rows)
        if errors:
            session.rollback()
    for error in errors:
        typer.echo(str(error), err=True)
    if errors:
        raise CliError(
            f"{len(errors)} dòng sai, không lưu dòng nào / {len(errors)} bad rows, nothing saved"
        )
    typer.echo(f"Đã lưu {format_number(len(rows))} dòng / saved {len(rows)} rows.")
