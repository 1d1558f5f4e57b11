"""The Typer application, its database context and the helpers every command uses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sync_server.settings import ServerSettings

# Typer vendors its own copy of click; usage errors may come from either.
CLICK_ERRORS: tuple[type[Exception], ...] = (
    click.ClickException,
    typer.BadParameter.__mro__[2],  # typer's ClickException
)
T = TypeVar("T")
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
code_app = typer.Typer(help="Mã đăng ký / enrollment codes", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
report_app = typer.Typer(help="Báo cáo / reports", no_args_is_help=True)
target_app = typer.Typer(help="Mục tiêu tỷ lệ / target shares", no_args_is_help=True)
app.add_typer(quota_app, name="quota")
app.add_typer(code_app, name="code")
app.add_typer(report_app, name="report")
app.add_typer(target_app, name="target")

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


OPENED_CONTEXTS: list[Context] = []

CREATES_DATABASE = frozenset({"init", "seed", "serve", "restore"})
"""Commands that may start from no database; every other command refuses a missing SQLite file
instead of quietly creating an empty one (and then failing on an unknown unit)."""


class CliError(Exception):
    """A clear one-line refusal (bad input): printed without a traceback, exit code 2."""


@dataclass
class Context:
    """The database the command works on, opened (and migrated) on first use."""

    url: str
    may_create: bool = True
    _engine: Engine | None = None

    def __post_init__(self) -> None:
        OPENED_CONTEXTS.append(self)

    def close(self) -> None:
        """Release the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def engine(self) -> Engine:
        """The migrated engine for the URL."""
        if self._engine is None:
            from sync_server.db.engine import make_engine, sqlite_file
            from sync_server.services.init import migrate

            database = sqlite_file(self.url)
            if not self.may_create and database is not None and not database.exists():
                raise CliError(
                    f"Chưa có cơ sở dữ liệu tại {database} / No database at {database}. "
                    "Tạo bằng / create one with: sync-server init "
                    "(dữ liệu mẫu / demo data: sync-server seed --province 52), "
                    "hoặc chỉ ra cơ sở dữ liệu có sẵn / or name an existing one with "
                    "--db URL or SYNC_SERVER_DATABASE_URL."
                )
            backend = make_url(self.url).get_backend_name()
            extra: dict[str, Any] = {}
            if backend == "postgresql":
                extra["connect_args"] = {"connect_timeout": 10}
            engine = make_engine(self.url, **extra)
            migrate(engine)
            self._engine = engine
            self._adopt_stored_key()
        return self._engine

    def _adopt_stored_key(self) -> None:
        """Move a key an older database still holds out to the key file (see server_key)."""
        from sync_server.services.server_key import adopt_stored_key

        with self.session() as session:
            moved = adopt_stored_key(session, settings_for())
        if moved is not None and moved.created:
            typer.echo(
                f"Khóa máy chủ đã được chuyển khỏi cơ sở dữ liệu vào {moved.path}: hãy sao lưu "
                f"tệp này riêng / The server key moved out of the database to {moved.path}: "
                "back it up separately",
                err=True,
            )

    def secret(self) -> str:
        """The server key for commands that make citizen keys; a clear refusal if none."""
        from sync_server.services.server_key import load_key

        self.engine()
        return load_key(settings_for())

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


def context_of(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
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


def settings_for(**overrides: Any) -> ServerSettings:
    """The server settings from SYNC_SERVER_* (overrides win); a bad value is a clear refusal."""
    from pydantic import ValidationError

    from sync_server.settings import ServerSettings, get_settings

    try:
        return get_settings(**overrides)
    except ValidationError as exc:
        prefix = str(ServerSettings.model_config.get("env_prefix", ""))
        problems = "; ".join(
            f"{prefix}{error['loc'][0]}".upper() + f" = {error['input']!r}: {error['msg']}"
            for error in exc.errors()
        )
        raise CliError(f"Cấu hình không hợp lệ / Invalid setting: {problems}") from None


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL (else SYNC_SERVER_DATABASE_URL, else SQLite)"),
    ] = None,
) -> None:
    """Máy chủ đồng bộ fieldkit / the fieldkit sync server."""
    url = db.strip() if db else settings_for().database_url
    try:
        make_url(url)
    except ArgumentError:
        raise CliError(
            f"Địa chỉ cơ sở dữ liệu không hợp lệ / Invalid database URL: {url!r}"
        ) from None
    ctx.obj = Context(url, may_create=ctx.invoked_subcommand in CREATES_DATABASE)


READ_CHUNK = 1 << 20


def read_file(path: Path, limit: int | None = None, magic: bytes = b"") -> bytes:
    """A file's bytes, read in chunks: at most `limit` of them, starting with `magic`.

    A file (or device, like /dev/zero) larger than `limit`, or one that does not start with
    `magic`, is refused as soon as that shows, so memory stays bounded whatever is given.
    """
    try:
        with path.open("rb") as handle:
            chunks: list[bytes] = []
            size = 0
            while chunk := handle.read(READ_CHUNK):
                if not chunks and not chunk.startswith(magic[: len(chunk)]):
                    raise CliError(f"Tệp không đúng định dạng / Not the expected format: {path}")
                chunks.append(chunk)
                size += len(chunk)
                if limit is not None and size > limit:
                    raise CliError(
                        f"Tệp quá lớn (tối đa {limit:,} byte) / File too large (at most "
                        f"{limit:,} bytes): {path}".replace(",", ".")
                    )
            return b"".join(chunks)
    except FileNotFoundError:
        raise CliError(f"Không tìm thấy tệp / File not found: {path}") from None
    except IsADirectoryError:
        raise CliError(f"Đây là thư mục, không phải tệp / Is a directory: {path}") from None
    except OSError as exc:
        raise CliError(f"Không đọc được tệp / Cannot read {path}: {exc.strerror}") from None


def write_private(out: Path, force: bool, write: Callable[[Path], T]) -> T:
    """Write a file readable by its owner only (mode 0600), refusing to overwrite without force.

    `write` fills a temporary file beside `out`, which then takes its place: with force it
    replaces `out`, without it is linked in only if no file appeared there meanwhile.
    """
    import os

    if out.is_dir():
        raise CliError(f"Đây là thư mục / Is a directory: {out}")
    if not out.parent.exists():
        raise CliError(f"Không có thư mục / No such directory: {out.parent}")
    if out.exists() and not force:
        raise CliError(f"Tệp đã có, dùng --force để ghi đè / {out} exists: use --force")
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    os.close(os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    try:
        result = write(temporary)
        if force:
            os.replace(temporary, out)
        else:
            try:
                os.link(temporary, out)  # never replaces a file that appeared meanwhile
            except FileExistsError:
                raise CliError(
                    f"Tệp đã có, dùng --force để ghi đè / {out} exists: use --force"
                ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return result
