"""`fieldkit …` commands (Typer); with no subcommand it opens the TUI.

Every failure is a clean message (Vietnamese by default, FIELDKIT_LANG=en for English) and an
exit code: 1 for operational failures, 2 for bad input, 3 for warnings not confirmed (--yes).

The commands live in modules named after what they do (`root`, `entries`, `syncing`; printing in
`output`, failures in `failures`) and are registered here, in the order `fieldkit --help` lists
them. The domain (pydantic), settings, store (SQLAlchemy), CSV import and sync load inside the
commands that use them, so `fieldkit --help` and opening the app do not wait for them.
"""

from __future__ import annotations

import os
import sys

import typer

from fieldkit.cli import editing, entries, root, syncing
from fieldkit.cli.failures import EXIT_FAILURE, last_resort

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="fieldkit: ghi nhận hỗ trợ người dân, làm việc không cần mạng / offline field reporting.",
)

app.callback(invoke_without_command=True)(root.root)
app.command()(syncing.enroll)
app.command()(entries.add)
app.command()(editing.edit)
app.command("import")(entries.import_file)
app.command("list")(entries.list_entries)
app.command()(syncing.sync)
app.command()(syncing.status)
app.command("export-bundle")(syncing.export_bundle)
app.command()(root.demo)


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
        last_resort(exc)
