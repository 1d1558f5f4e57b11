"""Every failure as a clean message (Vietnamese or English) and an exit code, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from fieldkit.cli.context import Context

EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_UNCONFIRMED = 1, 2, 3


class Failure(Exception):
    """A message for the user and an exit code; raised inside commands, printed by `failures`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def message_of(exc: BaseException, lang: str) -> str | None:
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
    message = message_of(exc, ctx.lang)
    if message is None:
        message = ctx.t("Lỗi không mong muốn: ", "Unexpected error: ") + (
            f"{type(exc).__name__}: {exc}"
        )
    return message


def last_resort(exc: BaseException) -> NoReturn:
    """Print what escaped the commands (no Context: FIELDKIT_LANG is read directly) and exit 1."""
    lang = "en" if os.environ.get("FIELDKIT_LANG") == "en" else "vi"
    message = message_of(exc, lang) or f"{type(exc).__name__}: {exc}"
    prefix = "Unexpected error: " if lang == "en" else "Lỗi không mong muốn: "
    print(prefix + message, file=sys.stderr)
    sys.exit(EXIT_FAILURE)
