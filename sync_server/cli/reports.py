"""Reading results: tally, recount, export, and importing sneakernet bundles."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from fieldkit.domain import period_of
from fieldkit.domain.formatting import format_number, format_percent
from sync_server.cli.app import (
    EXIT_MISMATCH,
    SERVICE_SHORT,
    app,
    context_of,
    print_json,
    read_file,
    render_table,
    settings_for,
    write_private,
)


@app.command()
def tally(
    ctx: typer.Context,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    period: Annotated[str | None, typer.Option("--period")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Kết quả so với chỉ tiêu / achieved vs quota for every unit of the subtree."""
    from sync_server.services.tally import read_tally
    from sync_server.services.units import get_unit

    chosen = period or period_of(datetime.now(UTC))
    with context_of(ctx).session() as session:
        if unit is not None:
            unit = get_unit(session, unit).code
        rows = read_tally(session, unit, chosen, subtree=True)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    n = format_number
    table = [
        [
            r.unit_code,
            r.unit_name,
            SERVICE_SHORT.get(r.service, r.service),
            "—" if r.quota is None else n(r.quota),
            n(r.achieved),
            format_percent(r.percentage),
            n(r.pending),
            n(r.approved),
            n(r.rejected),
            n(r.youth),
            n(r.non_youth),
        ]
        for r in rows
    ]
    headers = [
        "Mã", "Đơn vị", "Dịch vụ", "Chỉ tiêu", "Đạt", "Tỷ lệ", "Chờ duyệt", "Đã duyệt",
        "Từ chối", "Thanh niên", "Ngoài ĐTN",
    ]  # fmt: skip
    typer.echo(f"Kỳ / period {chosen}")
    typer.echo(render_table(headers, table, set(range(3, 11))))


def _describe(item: Any) -> str:
    if callable(getattr(item, "describe", None)):
        return str(item.describe())
    if is_dataclass(item) and not isinstance(item, type):
        return ", ".join(f"{k}={v}" for k, v in asdict(item).items())
    return str(item)


@app.command()
def recount(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Chỉ kiểm tra, không sửa")] = False,
) -> None:
    """Đếm lại từ các mục / recount tallies from the raw entries (--check: only compare)."""
    from sync_server.services.recount import recount as run_recount

    with context_of(ctx).session() as session:
        mismatches = run_recount(session, fix=not check)
    for item in mismatches:
        typer.echo(_describe(item))
    if not mismatches:
        typer.echo("Khớp / tallies match the entries.")
    elif check:
        typer.echo(f"{len(mismatches)} chỗ lệch / mismatches", err=True)
        raise typer.Exit(EXIT_MISMATCH)
    else:
        typer.echo(f"Đã sửa {len(mismatches)} chỗ lệch / fixed {len(mismatches)} mismatches")


@app.command()
def export(
    ctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit")],
    fmt: Annotated[str, typer.Option("--format", help="csv|xlsx")],
    out: Annotated[Path, typer.Option("--out")],
    force: Annotated[
        bool, typer.Option("--force", help="Ghi đè tệp đã có / overwrite an existing file")
    ] = False,
) -> None:
    """Xuất các mục của một đơn vị / export a unit's entries (masked identities only).

    The file is written with mode 0600 (it holds names); an existing one is replaced only
    with --force.
    """
    from sync_server.services.exports import export_entries

    def write(temporary: Path) -> int:
        with context_of(ctx).session() as session:
            return export_entries(session, unit, fmt, temporary)

    count = write_private(out, force, write)
    typer.echo(f"Đã xuất {format_number(count)} mục vào {out} / exported {count} entries")


@app.command("import-bundle")
def import_bundle(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Nhập gói dữ liệu từ máy không có mạng / import a sneakernet bundle."""
    from fieldkit.domain.bundle import MAX_DECOMPRESSED_BYTES
    from sync_server.services.pushing import PushPipeline

    context = context_of(ctx)
    late_after = timedelta(days=settings_for().late_entry_days)
    pushing = PushPipeline(context.url, context.secret(), late_after)
    # A gzip file (magic 1f 8b) no larger than what it may decompress to.
    data = read_file(file, limit=MAX_DECOMPRESSED_BYTES, magic=b"\x1f\x8b")
    with context.session() as session:
        response = pushing.import_bundle(session, data)
    counts: dict[str, int] = {}
    for result in response.results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    parts = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "0"
    typer.echo(
        f"Đã nhập gói / bundle imported ({parts}); last_mutation_id={response.last_mutation_id}"
    )
