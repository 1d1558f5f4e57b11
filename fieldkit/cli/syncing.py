"""The laptop and the server: `enroll`, `sync`, `status` and `export-bundle` for a USB stick."""

from __future__ import annotations

import os
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from fieldkit.cli.context import context_of
from fieldkit.cli.failures import EXIT_BAD_INPUT, Failure, failures
from fieldkit.cli.output import emit_json
from fieldkit.domain.catalogue import service_label


def enroll(
    typer_ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Địa chỉ máy chủ / server URL.")],
    code: Annotated[str, typer.Argument(help="Mã đăng ký / enrollment code.")],
    name: Annotated[str | None, typer.Option(help="Tên máy / device name.")] = None,
) -> None:
    """Đăng ký máy này với máy chủ / enroll this laptop with a server."""
    ctx = context_of(typer_ctx)
    with failures(ctx):
        if not url.startswith(("http://", "https://")):
            raise Failure(
                ctx.t(
                    "Địa chỉ phải bắt đầu bằng http:// hoặc https://",
                    "The URL must start with http:// or https://",
                ),
                EXIT_BAD_INPUT,
            )
        from fieldkit.enrollment import enroll_laptop

        store = enroll_laptop(
            ctx.settings.home,
            url,
            code,
            name or socket.gethostname()[:100],
            profile=ctx.settings.profile,
        )
        with store:
            typer.echo(
                ctx.t(
                    f"Đã đăng ký máy cho {store.profile.user_name} (hồ sơ {store.profile.name}).",
                    f"Enrolled for {store.profile.user_name} (profile {store.profile.name}).",
                )
            )


def sync(
    typer_ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Gửi dữ liệu chưa gửi rồi nhận cập nhật / push, then pull."""
    ctx = context_of(typer_ctx)
    with failures(ctx), ctx.store() as store:
        from fieldkit.sync import SyncError, sync_now

        try:
            report = sync_now(store, ctx.settings)
        except SyncError as exc:  # the store has recorded why
            raise Failure(exc.message(ctx.lang)) from None
        if as_json:
            data = asdict(report)
            data["items"] = [i.model_dump(mode="json") for i in report.items]
            emit_json(data)
            return
        typer.echo(report.summary(ctx.lang))
        if report.key_refused:
            typer.echo(report.key_note(ctx.lang), err=True)


def status(
    typer_ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Tình trạng: chưa gửi, bị từ chối, chỉ tiêu / pending, rejected, quota progress."""
    ctx = context_of(typer_ctx)
    from fieldkit.domain.formatting import (
        format_datetime,
        format_helped,
        format_number,
        format_progress,
    )

    with failures(ctx), ctx.store() as store:
        st = store.status()
        profile = store.profile
        catalogue = {info.code: info for info in store.services()}
    if as_json:
        data = asdict(st)
        data["profile"] = {
            "name": profile.name,
            "user_name": profile.user_name,
            "server_url": profile.server_url,
            "device_id": profile.device_id,
        }
        for row, progress in zip(data["villages"], st.villages, strict=True):
            row["achieved"], row["percentage"] = progress.achieved, progress.percentage
        emit_json(data)
        return
    last = format_datetime(st.last_sync_at) if st.last_sync_at else ctx.t("chưa bao giờ", "never")
    n = format_number
    typer.echo(f"{profile.user_name} ({profile.name}) — {profile.server_url}")
    typer.echo(
        ctx.t(
            f"Chưa gửi: {n(st.pending)}  Bị trả lại, cần sửa: {n(st.rejected)}  "
            f"Hẹn quay lại: {n(st.follow_up)}  Trùng: {n(st.duplicates)}  Tổng: {n(st.total)}",
            f"Pending: {n(st.pending, 'en')}  Returned to fix: {n(st.rejected, 'en')}  "
            f"Follow-up: {n(st.follow_up, 'en')}  Duplicates: {n(st.duplicates, 'en')}  "
            f"Total: {n(st.total, 'en')}",
        )
    )
    helped = st.helped
    today = {
        lang: format_helped(helped.citizens_today, helped.services_today, lang)
        for lang in ("vi", "en")
    }
    total = {
        lang: format_helped(helped.citizens_total, helped.services_total, lang)
        for lang in ("vi", "en")
    }
    typer.echo(
        ctx.t(
            f"Đã hỗ trợ hôm nay: {today['vi']}  Tất cả: {total['vi']}",
            f"Helped today: {today['en']}  In all: {total['en']}",
        )
    )
    typer.echo(ctx.t(f"Đồng bộ lần cuối: {last}", f"Last sync: {last}"))
    if st.last_error:
        typer.echo(ctx.t(f"Lỗi lần trước: {st.last_error}", f"Last error: {st.last_error}"))
    if st.rejected:
        typer.echo(
            ctx.t(
                "Xem và sửa bản ghi bị trả lại: fieldkit list --rejected, fieldkit edit ID",
                "See and fix returned entries: fieldkit list --rejected, fieldkit edit ID",
            )
        )
    for p in st.villages:
        if not p.quota and not p.achieved:
            continue
        service = service_label(p.service, ctx.lang, catalogue, short=True)
        typer.echo(
            f"  {p.village_name} · {service}: {format_progress(p.achieved, p.quota, ctx.lang)}"
        )


def export_bundle(
    typer_ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp gói (.fkb) / bundle file to write.")],
    force: Annotated[
        bool, typer.Option("--force", help="Ghi đè tệp đã có / overwrite an existing file")
    ] = False,
) -> None:
    """Ghi dữ liệu chưa gửi ra tệp có chữ ký để mang đi / write the outbox to a signed file.

    The file holds full identity numbers: it is written with mode 0600, and an existing file
    is replaced only with --force.
    """
    ctx = context_of(typer_ctx)
    with failures(ctx):
        if file.exists() and not force:
            raise Failure(
                ctx.t(
                    f"Tệp {file} đã có; dùng --force để ghi đè.",
                    f"{file} already exists; use --force to overwrite it.",
                ),
                EXIT_BAD_INPUT,
            )
    with failures(ctx), ctx.store() as store:
        from fieldkit.domain.bundle import write_bundle

        mutations = store.pending_batch(10_000_000)
        key = store.signing_key()
        data = write_bundle(store.profile.device_id, mutations, key.signer())
        temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if force:
                os.replace(temporary, file)
            else:
                os.link(temporary, file)  # fails if the file appeared meanwhile: never replaced
        finally:
            if temporary.exists():
                temporary.unlink()
        typer.echo(
            ctx.t(
                f"Đã ghi {len(mutations)} thay đổi vào {file}. Dữ liệu vẫn giữ trên máy đến khi "
                "máy chủ xác nhận.",
                f"Wrote {len(mutations)} changes to {file}. They stay on this laptop until the "
                "server acknowledges them.",
            )
        )
        if not key.registered:
            typer.echo(
                ctx.t(
                    "Chú ý: máy chủ chưa có khóa ký của máy này nên sẽ từ chối gói. Hãy đồng bộ "
                    "một lần khi có mạng (fieldkit sync) rồi xuất gói lại.",
                    "Note: the server does not have this laptop's signing key yet and will "
                    "refuse the bundle. Sync once while online (fieldkit sync), then export again.",
                ),
                err=True,
            )
