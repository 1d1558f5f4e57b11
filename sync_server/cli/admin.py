"""Setting up: init, seed, units, users, devices and quotas."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from fieldkit.domain import period_of
from fieldkit.domain.digits import ascii_int
from fieldkit.domain.formatting import format_date, format_number
from sync_server.cli.app import (
    LEVEL_VI,
    CliError,
    app,
    context_of,
    device_app,
    print_json,
    quota_app,
    read_file,
    render_table,
    settings_for,
    user_app,
)


@app.command()
def init(ctx: typer.Context) -> None:
    """Tạo / nâng cấp cơ sở dữ liệu và khóa máy chủ / create or upgrade the database and key.

    The key file is made only if there is no key yet: an existing one is never replaced.
    """
    from sync_server.services.server_key import KEY_ENV, ensure_key

    context = context_of(ctx)
    context.engine()  # migrates, and moves a key an older database holds to the key file
    key = ensure_key(settings_for())
    shown = make_url(context.url).render_as_string(hide_password=True)
    typer.echo(f"Cơ sở dữ liệu đã sẵn sàng / Database ready: {shown}")
    if key.source == "env":
        typer.echo(f"Khóa máy chủ lấy từ {KEY_ENV} / The server key comes from {KEY_ENV}")
    elif key.created:
        typer.echo(
            f"Đã tạo tệp khóa máy chủ {key.path} (quyền 0600): hãy sao lưu tệp này riêng, không "
            f"cùng chỗ với bản sao cơ sở dữ liệu / Created the server key file {key.path} "
            "(mode 0600): back it up separately, never next to the database's backups"
        )
    else:
        typer.echo(f"Khóa máy chủ / Server key: {key.path}")


@app.command()
def seed(
    ctx: typer.Context,
    province: Annotated[str, typer.Option("--province", help="Mã tỉnh, ví dụ 52 (Gia Lai)")],
    demo_entries: Annotated[int, typer.Option("--demo-entries", min=0, max=5_000_000)] = 0,
    seed_value: Annotated[int, typer.Option("--seed", min=0, max=2**31)] = 1,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Gieo dữ liệu mẫu một tỉnh / seed a province (units, teams, quotas, demo entries)."""
    from seed.geography import load_province
    from seed.loader import seed_province

    load_province(province)  # unknown codes fail before the database is touched
    context = context_of(ctx)
    secret = context.secret() if demo_entries else None
    with context.session() as session:
        report = seed_province(session, province, seed_value, demo_entries, secret=secret)
    if as_json:
        print_json(asdict(report))
        return
    n = format_number
    typer.echo(
        f"Đã gieo dữ liệu {report.province_name} ({report.province_code}): "
        f"{n(report.communes)} xã/phường, {n(report.villages)} thôn/tổ, {n(report.teams)} tổ "
        f"công nghệ số, {n(report.volunteers)} tình nguyện viên, {n(report.quotas)} chỉ tiêu."
    )
    if report.entries:
        sent = sum(report.entries.values())
        kept = sent - report.new_entries
        typer.echo(
            f"Mục mẫu mới / new demo entries: {n(report.new_entries)}"
            + (f" ({n(kept)} đã có từ trước / already there)" if kept else "")
            + "."
        )
    typer.echo(f"Thời gian / took {report.seconds:.1f} s".replace(".", ","))


@app.command()
def units(
    ctx: typer.Context,
    parent: Annotated[str | None, typer.Option("--parent", help="Mã đơn vị cha")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Liệt kê đơn vị / list units (provinces, or the children of --parent)."""
    from sync_server.services.units import list_units

    with context_of(ctx).session() as session:
        rows = list_units(session, parent)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    table = [
        [r.code, r.name, LEVEL_VI.get(r.level.value, r.level.value), "đã giải thể" * r.retired]
        for r in rows
    ]
    typer.echo(render_table(["Mã", "Tên", "Cấp", ""], table, set()))


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="volunteer|coordinator|province|admin")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị")],
    name: Annotated[str, typer.Option("--name", help="Họ tên")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Thêm người dùng / add a user; prints the login name and a one-time password (staff:
    with the address to open) or an enrollment code (volunteers)."""
    from sync_server.services.users import add_user

    code_days = settings_for().enroll_code_days
    with context_of(ctx).session() as session:
        added = add_user(session, role, unit, name, code_days=code_days)
    address = sign_in_address()
    expires = added.expires_at or datetime.now(UTC) + timedelta(days=code_days)
    if as_json:
        if added.code:
            print_json(
                {
                    "user_id": added.user_id,
                    "login": added.login,
                    "code": added.code,
                    "expires_at": expires.isoformat(),
                }
            )
        else:
            print_json(
                {
                    "user_id": added.user_id,
                    "login": added.login,
                    "password": added.password,
                    "url": address,
                }
            )
    elif added.code:
        until = format_date(expires)
        typer.echo(
            f"Mã đăng ký (dùng một lần, hết hạn {until}) / "
            f"enrollment code (one use, expires {until}): {added.code}"
        )
    else:
        typer.echo(f"Tên đăng nhập / login: {added.login}")
        typer.echo(f"Mật khẩu dùng một lần / one-time password: {added.password}")
        typer.echo(f"Mở / open: {address}")
        typer.echo("Lần đăng nhập đầu phải đổi mật khẩu / choose a new password at first sign-in.")


def sign_in_address() -> str:
    """Where staff open the web app: SYNC_SERVER_PUBLIC_URL, else the default `serve` address."""
    public = settings_for().public_url.strip().rstrip("/")
    return f"{public or 'http://127.0.0.1:8000'}/login"


@device_app.command("revoke")
def device_revoke(ctx: typer.Context, device_id: Annotated[str, typer.Argument()]) -> None:
    """Thu hồi thiết bị / revoke a device so its token stops working."""
    from sync_server.db.models import Device

    with context_of(ctx).session() as session:
        device = session.get(Device, device_id)
        if device is None:
            raise CliError(f"Không có thiết bị {device_id!r} / Unknown device {device_id!r}")
        try:
            from sync_server.services.devices import revoke
        except ImportError:  # pragma: no cover - H3's module is optional
            device.revoked_at = device.revoked_at or datetime.now(UTC)
        else:
            revoke(session, device_id)
    typer.echo(f"Đã thu hồi thiết bị / device revoked: {device_id}")


@quota_app.command("set")
def quota_set(
    ctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit")],
    service: Annotated[str, typer.Option("--service")],
    target: Annotated[str, typer.Option("--target")],
    period: Annotated[str | None, typer.Option("--period", help="Năm, mặc định năm nay")] = None,
    group: Annotated[
        str,
        typer.Option(
            "--group",
            help="Nhóm đối tượng / target group: all, youth (16–30), non_youth (ngoài độ tuổi)",
        ),
    ] = "all",
) -> None:
    """Đặt chỉ tiêu / set one quota (for everyone, or for one age group)."""
    from sync_server.services.quotas import set_quota

    number = ascii_int(target.strip().replace(".", ""), max_digits=12)
    if number is None:
        raise CliError(
            f"Chỉ tiêu phải là số nguyên ≥ 0 / target must be a whole number: {target!r}"
        )
    chosen = period or period_of(datetime.now(UTC))
    with context_of(ctx).session() as session:
        row = set_quota(session, unit, service, chosen, number, group.strip().lower())
    typer.echo(
        f"Chỉ tiêu / quota {row.unit_code} {row.service} {row.period} {row.target_group}: "
        f"{format_number(row.target)}"
    )


@quota_app.command("import")
def quota_import(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Nhập chỉ tiêu từ CSV / import quotas (unit_code,service,period,target[,group])."""
    from sync_server.services.quotas import import_quotas, read_quota_csv

    rows = read_quota_csv(read_file(file))
    with context_of(ctx).session() as session:
        errors = import_quotas(session, rows)
    saved = len(rows) - len(errors)
    typer.echo(f"Đã lưu {format_number(saved)} dòng / saved {saved} rows.")
    for error in errors:
        typer.echo(str(error), err=True)
    if errors:
        raise CliError(f"{len(errors)} dòng bị từ chối / {len(errors)} rows refused")


@user_app.command("reset-password")
def user_reset_password(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="Tên đăng nhập hoặc mã người dùng / login or id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Cấp mật khẩu dùng một lần / give a staff member a one-time password (e.g. a lost admin)."""
    from sync_server.services.devices import find_login_user
    from sync_server.services.passwords import PasswordError, issue_one_time_password

    with context_of(ctx).session() as session:
        person = find_login_user(session, user)
        if person is None:
            raise CliError(f"Không có người dùng {user!r} / no user {user!r}")
        try:
            password = issue_one_time_password(session, person)
        except PasswordError as exc:
            raise CliError(
                "Tình nguyện viên không có mật khẩu: hãy cấp mã đăng ký / " + exc.message
            ) from exc
        login = person.login or str(person.id)
    address = sign_in_address()
    if as_json:
        print_json({"user_id": person.id, "login": login, "password": password, "url": address})
        return
    typer.echo(f"Tên đăng nhập / login: {login}")
    typer.echo(f"Mật khẩu dùng một lần / one-time password: {password}")
    typer.echo(f"Mở / open: {address}")
