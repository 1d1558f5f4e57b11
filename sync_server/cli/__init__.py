"""`sync-server …`: set up, seed, administer and serve the sync server from a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

import click
import typer
from sqlalchemy.exc import NoSuchModuleError, OperationalError, SQLAlchemyError

from sync_server.cli import (  # noqa: F401  (they register commands)
    access,
    admin,
    campaign,
    reports,
    restoring,
    serving,
)
from sync_server.cli.app import CLICK_ERRORS, EXIT_BAD_INPUT, OPENED_CONTEXTS, CliError, app
from sync_server.cli.serving import litestream_binary, litestream_config

__all__ = ["app", "litestream_binary", "litestream_config", "main", "run"]


def _known_errors() -> tuple[type[BaseException], ...]:
    """Refusals that mean "bad input": one line, exit code 2."""
    from seed.geography import UnknownProvince
    from sync_server.services.accounts import AccountError
    from sync_server.services.campaign_files import ReportFormatError
    from sync_server.services.exports import ExportError
    from sync_server.services.quotas import QuotaError, QuotaFileError
    from sync_server.services.server_key import KeyProblem
    from sync_server.services.targets import TargetError
    from sync_server.services.units import UnitError
    from sync_server.services.users import UserError

    known: list[type[BaseException]] = [
        AccountError,
        CliError,
        KeyProblem,
        UnknownProvince,
        ExportError,
        QuotaError,
        QuotaFileError,
        ReportFormatError,
        TargetError,
        UnitError,
        UserError,
    ]
    try:  # other engineers' modules: bundle refusals are bad input too
        from sync_server.services.bundles import BundleError, BundleRefused
        from sync_server.services.pushing import MutationGap

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
        while OPENED_CONTEXTS:
            OPENED_CONTEXTS.pop().close()


def _run(args: list[str], say: Callable[[str], None]) -> int:
    try:
        result = app(args=args, prog_name="sync-server", standalone_mode=False)
    except (click.exceptions.Abort, typer.Abort):
        say("Đã hủy / aborted")
        return 130
    except CLICK_ERRORS as exc:
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
