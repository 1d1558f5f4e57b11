"""`fieldkit …` commands (Typer); with no subcommand it opens the TUI.

Every failure is a clean message (Vietnamese by default, FIELDKIT_LANG=en for English) and an
exit code: 1 for operational failures, 2 for bad input, 3 for warnings not confirmed (--yes).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

# The domain (pydantic), settings, store (SQLAlchemy), CSV import and sync load inside the
# commands that use them, so `fieldkit --help` and opening the app do not wait for them.
if TYPE_CHECKING:
    from fieldkit.domain import Problem
    from fieldkit.settings import ClientSettings
    from fieldkit.store import EntryRow, Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="fieldkit: ghi nhận hỗ trợ người dân, làm việc không cần mạng / offline field reporting.",
)

EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_UNCONFIRMED = 1, 2, 3


@dataclass
class Context:
    """What every command needs: settings (language, home) and the chosen profile."""

    settings: ClientSettings

    @property
    def lang(self) -> str:
        """The user's language."""
        return self.settings.lang

    def t(self, vi: str, en: str) -> str:
        """Pick the text in the user's language."""
        return en if self.lang == "en" else vi

    def store(self) -> Store:
        """Open the chosen (or only, or last used) profile."""
        from fieldkit.store import open_store

        return open_store(self.settings.home, self.settings.profile)


class Failure(Exception):
    """A message for the user and an exit code; raised inside commands, printed by `failures`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _message_of(exc: BaseException, lang: str) -> str | None:
    """The user-facing text of errors that carry one (StoreError, SyncError, BundleError …)."""
    method = getattr(exc, "message", None)
    if callable(method):
        try:
            return str(method(lang))
        except TypeError:
            pass
    attr = "message_en" if lang == "en" else "message_vi"
    text = getattr(exc, attr, None) or (method if isinstance(method, str) else None)
    return str(text) if text else None


@contextmanager
def failures(ctx: Context) -> Iterator[None]:
    """Turn every exception into a clean message and an exit code (never a traceback)."""
    try:
        yield
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Failure as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(exc.code) from None
    except KeyboardInterrupt:
        typer.echo(ctx.t("Đã dừng.", "Stopped."), err=True)
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `fieldkit list | head`: the reader went away, nothing to say
        raise typer.Exit(EXIT_FAILURE) from None
    except Exception as exc:
        typer.echo(_failure_text(exc, ctx), err=True)
        raise typer.Exit(EXIT_FAILURE) from None


def _is_database_error(exc: BaseException) -> bool:
    """Whether SQLite or SQLAlchemy raised it (SQLAlchemy is only loaded if a command used it)."""
    if isinstance(exc, sqlite3.Error):
        return True
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


def _failure_text(exc: Exception, ctx: Context) -> str:
    """The clean message of a database, file or any other failure."""
    if _is_database_error(exc):
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        return ctx.t(f"Lỗi cơ sở dữ liệu: {detail}", f"Database error: {detail}")
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        text = exc.strerror or str(exc)
        return ctx.t(f"Lỗi tệp{where}: {text}", f"File error{where}: {text}")
    message = _message_of(exc, ctx.lang)
    if message is None:
        message = ctx.t("Lỗi không mong muốn: ", "Unexpected error: ") + (
            f"{type(exc).__name__}: {exc}"
        )
    return message


def _ctx(typer_ctx: typer.Context) -> Context:
    obj = typer_ctx.obj
    assert isinstance(obj, Context)
    return obj


def _problem_lines(problems: list[Problem]) -> list[str]:
    """Each problem in Vietnamese and English (what scripts and people both can read)."""
    from fieldkit.store.csv_import import describe

    return [f"- {describe(p, 'vi')} / {describe(p, 'en')}" for p in problems]


def _problem_json(problems: list[Problem], lang: str) -> list[dict[str, Any]]:
    from fieldkit.store.csv_import import describe

    return [
        {
            "code": p.code,
            "field": p.field,
            "severity": p.severity.value,
            "message": describe(p, lang),
            "message_vi": describe(p, "vi"),
            "message_en": describe(p, "en"),
        }
        for p in problems
    ]


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _parse_when(text: str | None, ctx: Context) -> datetime | None:
    """dd/mm/yyyy or dd/mm/yyyy HH:MM in Vietnam's time; None means now."""
    if not text:
        return None
    from fieldkit.domain import VIETNAM_TZ

    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            moment = datetime.strptime(text.strip(), fmt).replace(tzinfo=VIETNAM_TZ)
        except ValueError:
            continue
        return moment.replace(hour=12) if fmt == "%d/%m/%Y" else moment
    raise Failure(
        ctx.t(
            f"Ngày giờ không đúng dạng dd/mm/yyyy [HH:MM]: {text[:40]}",
            f"Date is not dd/mm/yyyy [HH:MM]: {text[:40]}",
        ),
        EXIT_BAD_INPUT,
    )


@app.callback(invoke_without_command=True)
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


@app.command()
def enroll(
    typer_ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Địa chỉ máy chủ / server URL.")],
    code: Annotated[str, typer.Argument(help="Mã đăng ký / enrollment code.")],
    name: Annotated[str | None, typer.Option(help="Tên máy / device name.")] = None,
) -> None:
    """Đăng ký máy này với máy chủ / enroll this laptop with a server."""
    ctx = _ctx(typer_ctx)
    with failures(ctx):
        if not url.startswith(("http://", "https://")):
            raise Failure(
                ctx.t(
                    "Địa chỉ phải bắt đầu bằng http:// hoặc https://",
                    "The URL must start with http:// or https://",
                ),
                EXIT_BAD_INPUT,
            )
        from fieldkit.store import create_profile
        from fieldkit.sync import enroll as enroll_device

        response = enroll_device(url, code, name or socket.gethostname()[:100])
        store = create_profile(ctx.settings.home, response, url, name=ctx.settings.profile)
        with store:
            typer.echo(
                ctx.t(
                    f"Đã đăng ký máy cho {response.user_name} (hồ sơ {store.profile.name}).",
                    f"Enrolled for {response.user_name} (profile {store.profile.name}).",
                )
            )


@app.command()
def add(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Họ tên / full name.")],
    id_number: Annotated[str, typer.Option("--id-number", help="Số định danh 12 số.")],
    birth_year: Annotated[int, typer.Option("--birth-year", help="Năm sinh / birth year.")],
    sex: Annotated[str, typer.Option("--sex", help="male|female (nam|nữ).")],
    service: Annotated[list[str], typer.Option("--service", help="Dịch vụ (lặp lại được).")],
    outcome: Annotated[str, typer.Option("--outcome", help="success|pending|referred|…")],
    reason: Annotated[list[str] | None, typer.Option("--reason", help="Lý do (lặp lại).")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    village: Annotated[
        str | None, typer.Option("--village", help="Mã thôn / village code.")
    ] = None,
    consent: Annotated[bool, typer.Option("--consent", help="Người dân đã đồng ý.")] = False,
    consent_method: Annotated[str | None, typer.Option("--consent-method")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Xác nhận các cảnh báo / confirm.")] = False,
    note: Annotated[str, typer.Option("--note")] = "",
    device_owner: Annotated[str | None, typer.Option("--device-owner")] = None,
    at: Annotated[str | None, typer.Option("--at", help="dd/mm/yyyy [HH:MM]")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ghi một lần hỗ trợ (mỗi dịch vụ một bản ghi) / record one visit."""
    ctx = _ctx(typer_ctx)
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
            assisted_at=_parse_when(at, ctx),
        )
        with ctx.store() as store:
            checked = check_visit(store, form)
            if checked.errors:
                if as_json:
                    _emit_json({"errors": _problem_json(checked.errors, ctx.lang)})
                raise Failure(
                    "\n".join(
                        [ctx.t("Không lưu được:", "Not saved:"), *_problem_lines(checked.errors)]
                    ),
                    EXIT_BAD_INPUT,
                )
            if checked.warnings and not yes:
                if as_json:
                    _emit_json(
                        {"entries": [], "warnings": _problem_json(checked.warnings, ctx.lang)}
                    )
                lines = _problem_lines(checked.warnings)
                raise Failure(
                    "\n".join(
                        [
                            ctx.t("Cần xác nhận (thêm --yes):", "Needs confirmation (add --yes):"),
                            *lines,
                        ]
                    ),
                    EXIT_UNCONFIRMED,
                )
            saved = store.save_entries(checked.entries)
        if as_json:
            _emit_json(
                {
                    "entries": [
                        {"id": str(s.entry_id), "service": e.service, "mutation_id": s.mutation_id}
                        for s, e in zip(saved, checked.entries, strict=True)
                    ],
                    "warnings": _problem_json(checked.warnings, ctx.lang),
                }
            )
            return
        for line in _problem_lines(checked.warnings):
            typer.echo(ctx.t("Cảnh báo đã xác nhận ", "Confirmed warning ") + line, err=True)
        for s in saved:
            typer.echo(str(s.entry_id))


@app.command("import")
def import_file(
    typer_ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp CSV UTF-8 / UTF-8 CSV file.")],
    yes: Annotated[bool, typer.Option("--yes", help="Lưu cả dòng có cảnh báo.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Nhập phiếu giấy từ tệp CSV / import paper forms from a CSV file."""
    ctx = _ctx(typer_ctx)
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
            _emit_json(
                {
                    "rows": report.rows,
                    "saved_rows": report.saved_rows,
                    "entries": [str(s.entry_id) for s in report.saved],
                    "refused": [
                        {
                            "row": r.row,
                            "needs_confirmation": r.needs_confirmation,
                            "problems": _problem_json(r.problems, ctx.lang),
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
                for line in _problem_lines(r.problems):
                    typer.echo("  " + line)
        if refused:
            raise typer.Exit(EXIT_BAD_INPUT)


def _entry_json(row: EntryRow) -> dict[str, Any]:
    from fieldkit.domain import mask_id_number

    data = asdict(row)
    data["id_number"] = mask_id_number(row.id_number) if row.editable else row.id_number
    return data


@app.command("list")
def list_entries(
    typer_ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Chỉ bản ghi chưa gửi.")] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="Chỉ bản ghi bị từ chối.")] = False,
    search: Annotated[str, typer.Option("--search", help="Tìm theo tên / số.")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Liệt kê bản ghi, mới nhất trước / list entries, newest first."""
    ctx = _ctx(typer_ctx)
    with failures(ctx):
        from fieldkit.domain import mask_id_number
        from fieldkit.domain.formatting import format_datetime
        from fieldkit.store import EntryFilter, EntryQuery

        chosen = EntryFilter.PENDING if pending else EntryFilter.ALL
        chosen = EntryFilter.REJECTED if rejected else chosen
        query = EntryQuery(search=search, filter=chosen, offset=offset, limit=limit)
        with ctx.store() as store:
            rows = store.query_entries(query)
            total = store.count_entries(query)
        if as_json:
            _emit_json({"total": total, "entries": [_entry_json(r) for r in rows]})
            return
        if not rows:
            typer.echo(ctx.t("Chưa có bản ghi nào.", "No entries."))
            return
        for r in rows:
            number = mask_id_number(r.id_number) if r.editable else r.id_number
            typer.echo(
                f"{format_datetime(r.assisted_at)}  {r.full_name or '—':<28} {number}  "
                f"{r.service:<16} {r.outcome.value:<9} {r.status.value}"
            )
            if r.reject_message:
                typer.echo(f"    ↳ {r.reject_message}")
            if r.duplicate_village:
                when = format_datetime(r.duplicate_at) if r.duplicate_at else "—"
                place = r.duplicate_village_name or r.duplicate_village
                typer.echo(
                    ctx.t(f"    ↳ đã tính tại {place}, {when}", f"    ↳ counted in {place}, {when}")
                )
        typer.echo(ctx.t(f"{len(rows)}/{total} bản ghi", f"{len(rows)}/{total} entries"))


@app.command()
def sync(
    typer_ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Gửi dữ liệu chưa gửi rồi nhận cập nhật / push, then pull."""
    ctx = _ctx(typer_ctx)
    with failures(ctx), ctx.store() as store:
        from fieldkit.sync import RetryPolicy, SyncError, sync_once

        policy = RetryPolicy(max_attempts=ctx.settings.sync_max_attempts)
        try:
            report = sync_once(store, policy=policy, batch_size=ctx.settings.sync_batch_size)
        except SyncError as exc:
            store.record_sync(error=exc.message(ctx.lang))
            raise Failure(exc.message(ctx.lang)) from None
        store.record_sync()
        erased = store.erase_expired(ctx.settings.retention_days)
        if as_json:
            data = asdict(report)
            data["erased"] = erased
            data["items"] = [i.model_dump(mode="json") for i in report.items]
            _emit_json(data)
            return
        typer.echo(report.summary(ctx.lang))


@app.command()
def status(
    typer_ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Tình trạng: chưa gửi, bị từ chối, chỉ tiêu / pending, rejected, quota progress."""
    ctx = _ctx(typer_ctx)
    from fieldkit.domain.formatting import format_datetime, format_number, format_percent

    with failures(ctx), ctx.store() as store:
        st = store.status()
        profile = store.profile
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
        _emit_json(data)
        return
    last = format_datetime(st.last_sync_at) if st.last_sync_at else ctx.t("chưa bao giờ", "never")
    n = format_number
    typer.echo(f"{profile.user_name} ({profile.name}) — {profile.server_url}")
    typer.echo(
        ctx.t(
            f"Chưa gửi: {n(st.pending)}  Bị từ chối: {n(st.rejected)}  "
            f"Trùng: {n(st.duplicates)}  Tổng: {n(st.total)}",
            f"Pending: {n(st.pending, 'en')}  Rejected: {n(st.rejected, 'en')}  "
            f"Duplicates: {n(st.duplicates, 'en')}  Total: {n(st.total, 'en')}",
        )
    )
    typer.echo(ctx.t(f"Đồng bộ lần cuối: {last}", f"Last sync: {last}"))
    if st.last_error:
        typer.echo(ctx.t(f"Lỗi lần trước: {st.last_error}", f"Last error: {st.last_error}"))
    if st.rejected:
        typer.echo(
            ctx.t(
                "Xem và sửa bản ghi bị từ chối: fieldkit list --rejected",
                "See and fix rejected entries: fieldkit list --rejected",
            )
        )
    for p in st.villages:
        if p.quota is None and p.achieved == 0:
            continue
        quota = n(p.quota, ctx.lang) if p.quota is not None else "—"
        typer.echo(
            f"  {p.village_name} · {p.service}: {n(p.achieved, ctx.lang)}/{quota} "
            f"({format_percent(p.percentage, ctx.lang)})"
        )


@app.command("export-bundle")
def export_bundle(
    typer_ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp gói (.fkb) / bundle file to write.")],
) -> None:
    """Ghi dữ liệu chưa gửi ra tệp có chữ ký để mang đi / write the outbox to a signed file."""
    ctx = _ctx(typer_ctx)
    with failures(ctx), ctx.store() as store:
        from fieldkit.domain.bundle import token_hash, write_bundle

        mutations = store.pending_batch(10_000_000)
        profile = store.profile
        data = write_bundle(profile.device_id, token_hash(profile.token), mutations)
        temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, file)
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


@app.command()
def demo(typer_ctx: typer.Context) -> None:
    """Chạy bản dùng thử với máy chủ cục bộ / run the demo with a local server."""
    ctx = _ctx(typer_ctx)
    with failures(ctx):
        try:
            from fieldkit.demo import run_demo
        except ImportError as exc:
            raise Failure(ctx.t(f"Chưa có bản dùng thử ({exc}).", f"No demo ({exc}).")) from None
        code = run_demo(ctx.settings)
        if code:
            raise typer.Exit(code)


def _last_resort(exc: BaseException) -> NoReturn:
    lang = "en" if os.environ.get("FIELDKIT_LANG") == "en" else "vi"
    message = _message_of(exc, lang) or f"{type(exc).__name__}: {exc}"
    prefix = "Unexpected error: " if lang == "en" else "Lỗi không mong muốn: "
    print(prefix + message, file=sys.stderr)
    sys.exit(EXIT_FAILURE)


def main() -> None:
    """The console script: run the app, never showing a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILURE)
    except Exception as exc:  # commands already handle theirs; this is the last net
        _last_resort(exc)
