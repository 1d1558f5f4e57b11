"""Who may reach the server: `device list`, `code list|revoke`, `user deactivate|unlock`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer

from fieldkit.domain.formatting import format_datetime, format_number
from sync_server.cli.app import code_app, context_of, device_app, print_json, render_table, user_app


def _when(moment: datetime | None) -> str:
    return format_datetime(moment) if moment is not None else "—"


@device_app.command("list")
def device_list(
    ctx: typer.Context,
    active: Annotated[bool, typer.Option("--active", help="Chỉ máy chưa bị thu hồi")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Liệt kê máy đã đăng ký / list enrolled laptops, their volunteer and last push."""
    from sync_server.services.accounts import list_devices

    with context_of(ctx).session() as session:
        rows = list_devices(session, include_revoked=not active)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = [
        [
            r.device_id,
            r.name,
            f"{r.user_name} ({r.user_id})",
            r.village_code or "",
            _when(r.enrolled_at),
            _when(r.last_entry_at),
            format_number(r.last_mutation_id),
            f"thu hồi {_when(r.revoked_at)}" if r.revoked else "hoạt động",
        ]
        for r in rows
    ]
    headers = ["Mã máy", "Tên máy", "Tình nguyện viên", "Thôn", "Đăng ký", "Gửi mục cuối",
               "Thay đổi", "Trạng thái"]  # fmt: skip
    typer.echo(render_table(headers, table, {6}))
    typer.echo(f"{format_number(len(rows))} máy / laptops")


@code_app.command("list")
def code_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Liệt kê mã đăng ký còn dùng được / list open enrollment codes (unused, unexpired)."""
    from sync_server.services.accounts import list_open_codes

    with context_of(ctx).session() as session:
        rows = list_open_codes(session)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = [
        [
            r.code_id,
            f"{r.user_name} ({r.user_id})",
            r.village_code or "",
            _when(r.created_at),
            _when(r.expires_at),
        ]
        for r in rows
    ]
    typer.echo(
        render_table(["Mã số", "Tình nguyện viên", "Thôn", "Tạo lúc", "Hết hạn"], table, set())
    )
    typer.echo(f"{format_number(len(rows))} mã còn mở / open codes")


@code_app.command("revoke")
def code_revoke(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Mã số trong `code list`, hoặc chính mã đăng ký")],
) -> None:
    """Thu hồi một mã đăng ký / withdraw an open enrollment code."""
    from sync_server.services.accounts import revoke_code

    with context_of(ctx).session() as session:
        revoked = revoke_code(session, code)
    typer.echo(
        f"Đã thu hồi mã {revoked.code_id} của {revoked.user_name} / code {revoked.code_id} revoked"
    )


@user_app.command("deactivate")
def user_deactivate(
    ctx: typer.Context,
    user_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ngừng kích hoạt người dùng / deactivate a user: no sign-in, every laptop revoked."""
    from sync_server.services.accounts import deactivate_user

    with context_of(ctx).session() as session:
        done = deactivate_user(session, user_id)
    if as_json:
        print_json(asdict(done))
        return
    typer.echo(
        f"Đã ngừng kích hoạt {done.user_name} ({done.user_id}): thu hồi "
        f"{format_number(done.devices_revoked)} máy/phiên đăng nhập, "
        f"{format_number(done.codes_revoked)} mã / user deactivated"
    )


@user_app.command("unlock")
def user_unlock(
    ctx: typer.Context,
    user_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)],
) -> None:
    """Mở khóa đăng nhập / lift a sign-in lock after too many wrong passwords."""
    from sync_server.services.accounts import unlock_user

    with context_of(ctx).session() as session:
        cleared = unlock_user(session, user_id)
    if cleared:
        typer.echo(f"Đã mở khóa người dùng {user_id} / user {user_id} unlocked")
    else:
        typer.echo(f"Người dùng {user_id} không bị khóa / user {user_id} was not locked")
