"""`fieldkit edit ID …`: fix an entry returned by the server or a reviewer, or update a pending one.

The options are `fieldkit add`'s (fieldkit.cli.entry_options); a field not given stays as it
is. The edit becomes a new revision in the outbox and goes to the server at the next sync.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fieldkit.cli import entry_options as opt
from fieldkit.cli.context import context_of
from fieldkit.cli.entries import parse_when, refuse_unless_ready
from fieldkit.cli.failures import EXIT_BAD_INPUT, Failure, failures
from fieldkit.cli.output import emit_json, problem_json, problem_lines


def edit(
    typer_ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="Mã bản ghi / entry id (fieldkit list).")],
    name: Annotated[str | None, opt.NAME] = None,
    id_number: Annotated[str | None, opt.ID_NUMBER] = None,
    birth_year: Annotated[int | None, opt.BIRTH_YEAR] = None,
    sex: Annotated[str | None, opt.SEX] = None,
    service: Annotated[list[str] | None, opt.SERVICE] = None,
    outcome: Annotated[str | None, opt.OUTCOME] = None,
    reason: Annotated[list[str] | None, opt.REASON] = None,
    phone: Annotated[str | None, opt.PHONE] = None,
    village: Annotated[str | None, opt.VILLAGE] = None,
    consent: Annotated[bool, opt.CONSENT] = False,
    consent_method: Annotated[str | None, opt.CONSENT_METHOD] = None,
    yes: Annotated[bool, opt.YES] = False,
    note: Annotated[str | None, opt.NOTE] = None,
    device_owner: Annotated[str | None, opt.DEVICE_OWNER] = None,
    at: Annotated[str | None, opt.AT] = None,
    as_json: Annotated[bool, opt.JSON] = False,
) -> None:
    """Sửa bản ghi bị trả lại hoặc đang hẹn quay lại / fix a returned or pending entry.

    The identity number can change only while the laptop still shows it in full; once the
    server has acknowledged the entry it is masked, and the edit keeps it. --consent is
    accepted for symmetry with `add` (every stored entry already has consent).
    """
    ctx = context_of(typer_ctx)
    with failures(ctx):
        import uuid

        from fieldkit.store.visits import EntryChanges, check_edit

        try:
            wanted = uuid.UUID(entry_id.strip())
        except ValueError:
            raise Failure(
                ctx.t(
                    f"Mã bản ghi không hợp lệ: {entry_id[:60]}", f"Not an entry id: {entry_id[:60]}"
                ),
                EXIT_BAD_INPUT,
            ) from None
        if service is not None and len(service) > 1:
            raise Failure(
                ctx.t(
                    "Mỗi bản ghi là một dịch vụ: chỉ một --service khi sửa.",
                    "Each entry is one service: give at most one --service when editing.",
                ),
                EXIT_BAD_INPUT,
            )
        changes = EntryChanges(
            full_name=name,
            id_number=id_number,
            birth_year=birth_year,
            sex=sex,
            service=service[0] if service else None,
            outcome=outcome,
            reasons=list(reason) if reason else None,
            phone=phone,
            village=village,
            note=note,
            device_owner=device_owner,
            consent_method=consent_method,
            assisted_at=parse_when(at, ctx),
        )
        with ctx.store() as store:
            row = store.get_entry(wanted)
            if row is None:
                raise Failure(
                    ctx.t(f"Không tìm thấy bản ghi {wanted}.", f"No entry {wanted}."),
                    EXIT_BAD_INPUT,
                )
            if not row.editable:
                from fieldkit.store import StoreError

                code = "entry.erased" if row.erased else "entry.not_editable"
                raise Failure(
                    StoreError(code, entry_id=str(wanted)).message(ctx.lang), EXIT_BAD_INPUT
                )
            checked = check_edit(store, row, changes)
            refuse_unless_ready(checked, yes, as_json, ctx)
            saved = store.update_entry(checked.entries[0])
        if as_json:
            emit_json(
                {
                    "entries": [
                        {
                            "id": str(saved.entry_id),
                            "rev": saved.rev,
                            "mutation_id": saved.mutation_id,
                        }
                    ],
                    "warnings": problem_json(checked.warnings, ctx.lang),
                }
            )
            return
        for line in problem_lines(checked.warnings):
            typer.echo(ctx.t("Cảnh báo đã xác nhận ", "Confirmed warning ") + line, err=True)
        typer.echo(
            ctx.t(
                f"Đã sửa {saved.entry_id} (lần sửa {saved.rev}); sẽ gửi ở lần đồng bộ tới.",
                f"Edited {saved.entry_id} (revision {saved.rev}); it goes out at the next sync.",
            )
        )
