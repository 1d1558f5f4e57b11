"""The root callback (settings, profile; with no subcommand, open the app) and `demo`."""

from __future__ import annotations

from typing import Annotated

import typer

from fieldkit.cli.context import Context, context_of
from fieldkit.cli.failures import EXIT_BAD_INPUT, Failure, failures


def root(
    typer_ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Hồ sơ (tình nguyện viên) / profile name.")
    ] = None,
) -> None:
    """Không có lệnh con: mở giao diện / no subcommand: open the app."""
    from fieldkit.settings import ClientSettings

    try:
        settings = ClientSettings()
    except Exception as exc:  # a malformed FIELDKIT_* variable
        typer.echo(
            f"Cấu hình FIELDKIT_* không hợp lệ / invalid FIELDKIT_* settings: {exc}", err=True
        )
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if profile is not None:
        settings = settings.model_copy(update={"profile": profile})
    ctx = Context(settings)
    typer_ctx.obj = ctx
    if typer_ctx.invoked_subcommand is not None:
        return
    with failures(ctx):
        try:
            from fieldkit.tui.app import run_app
        except ImportError as exc:
            raise Failure(
                ctx.t(
                    f"Giao diện chưa được cài đặt ({exc}). Dùng các lệnh: fieldkit --help",
                    f"The app is not installed ({exc}). Use the commands: fieldkit --help",
                )
            ) from None
        run_app(settings)


def demo(typer_ctx: typer.Context) -> None:
    """Chạy bản dùng thử với máy chủ cục bộ / run the demo with a local server."""
    ctx = context_of(typer_ctx)
    with failures(ctx):
        try:
            from fieldkit.tui.demo_app import run_demo
        except ImportError as exc:
            raise Failure(ctx.t(f"Chưa có bản dùng thử ({exc}).", f"No demo ({exc}).")) from None
        code = run_demo(ctx.settings)
        if code:
            raise typer.Exit(code)
