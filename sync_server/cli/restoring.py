"""Restoring the SQLite database from a Litestream replica, and rotating the epoch.

A restore brings the database back to what Litestream had shipped (about a second behind
the last commit, or an earlier `--timestamp`), so it may lack entries the server had
acknowledged. The new epoch written into the restored file tells every laptop at its next
sync to restart its cursor and send again every entry it still holds whole (sync
rule 7, docs/architecture.md); laptops keep an acknowledged entry's full number until a later
sync past a grace period found the server in the same epoch, so that covers what the backup missed.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from fieldkit.domain.formatting import format_number
from sync_server.cli.app import CliError, app, context_of
from sync_server.cli.serving import database_file, litestream_binary, litestream_config

SIDECARS = ("", "-wal", "-shm")
"""A SQLite database is these files together: never move or keep one without the others."""


def sqlite_file(url: str) -> Path:
    """The file of a SQLite URL; a clear refusal for any other database."""
    return database_file(
        url,
        "restore chỉ dùng với tệp SQLite (PostgreSQL: khôi phục bằng công cụ của nó rồi chạy "
        "sync-server rotate-epoch) / restore needs a SQLite file database (PostgreSQL: "
        "restore with its own tools, then run sync-server rotate-epoch)",
    )


def family(path: Path) -> list[Path]:
    """The database file and its -wal and -shm files."""
    return [path.with_name(path.name + suffix) for suffix in SIDECARS]


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment with a time zone (a restore point must not be ambiguous)."""
    example = "2026-03-04T09:30:00+07:00"
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"Thời điểm không hợp lệ / Invalid --timestamp {text!r} (ví dụ / e.g. {example})"
        ) from None
    if moment.tzinfo is None:
        raise CliError(
            f"--timestamp cần múi giờ / --timestamp needs a time zone: {text!r} "
            f"(ví dụ / e.g. {example} hoặc / or 2026-03-04T02:30:00Z)"
        )
    return moment.astimezone(UTC)


def _check_replica(replica: Path) -> None:
    if not replica.is_dir():
        raise CliError(f"Không có thư mục bản sao / No replica directory: {replica}")
    if not any(replica.iterdir()):
        raise CliError(f"Không có bản sao Litestream / No Litestream replica in: {replica}")


def _free_name(path: Path) -> Path:
    """path, or path.1, path.2 … : the first whose database files all do not exist."""
    candidate, n = path, 0
    while any(p.exists() for p in family(candidate)):
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


def _litestream_restore(db_path: Path, replica: Path, out: Path, at: datetime | None) -> None:
    """`litestream restore` of the replica into `out` (a new file)."""
    with tempfile.TemporaryDirectory(prefix="sync-server-restore-") as tmp:
        config = Path(tmp) / "litestream.yml"
        # JSON is valid YAML and quotes every path safely (as `serve --replicate` writes it).
        config.write_text(json.dumps(litestream_config(db_path, replica)))
        args = [str(litestream_binary()), "restore", "-no-expand-env", "-config", str(config)]
        if at is not None:
            args += ["-timestamp", at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
        args += ["-o", str(out), str(db_path.resolve())]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode == 0 and out.exists():
        return
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    detail = lines[-1].removeprefix("Error: ").strip() if lines else f"exit {done.returncode}"
    if "no matching backup" in detail or "does not exist" in detail:
        vi, en = (" đến thời điểm đó", " at or before that time") if at is not None else ("", "")
        raise CliError(
            f"Không có bản sao Litestream{vi} / No Litestream replica{en} in: {replica} ({detail})"
        )
    raise CliError(f"litestream restore thất bại / litestream restore failed: {detail[:300]}")


@dataclass(frozen=True)
class Prepared:
    """What the restored file holds once it is ready to serve."""

    epoch: str
    entries: int


def _prepare(path: Path) -> Prepared:
    """Check the restored file, bring it to the current schema and give it a new epoch."""
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from sync_server.db.engine import make_engine
    from sync_server.db.models import Entry
    from sync_server.services.init import migrate
    from sync_server.services.secrets import rotate_epoch

    os.chmod(path, 0o600)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            check = [str(row[0]) for row in conn.execute(text("PRAGMA quick_check"))]
        if check != ["ok"]:
            raise CliError(f"Bản khôi phục bị hỏng / The restored file is damaged: {check[:3]}")
        migrate(engine)
        with Session(engine) as session:
            epoch = rotate_epoch(session)
            entries = int(session.scalar(select(func.count()).select_from(Entry)) or 0)
            session.commit()
    finally:
        engine.dispose()
    return Prepared(epoch, entries)


def _move(source: Path, target: Path) -> None:
    """Rename a database and whichever of its -wal/-shm files exist (same directory)."""
    for old, new in zip(family(source), family(target), strict=True):
        if old.exists():
            old.rename(new)


@app.command()
def restore(
    ctx: typer.Context,
    replica: Annotated[
        Path,
        typer.Option(
            "--from", help="Thư mục bản sao (của serve --replicate DIR) / the replica directory"
        ),
    ],
    timestamp: Annotated[
        str | None,
        typer.Option(
            "--timestamp",
            help="Khôi phục đến thời điểm này (ISO 8601 có múi giờ) / restore to this moment",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Cất tệp hiện có sang <tệp>.before-restore-<thời điểm> / move the existing "
            "database aside",
        ),
    ] = False,
) -> None:
    """Khôi phục từ bản sao Litestream, đổi kỷ nguyên / restore from a Litestream replica.

    Dừng máy chủ trước / stop the server first.
    """
    db_path = sqlite_file(context_of(ctx).url)
    at = parse_moment(timestamp) if timestamp is not None else None
    _check_replica(replica)
    existing = [p for p in family(db_path) if p.exists()]
    if existing and not force:
        raise CliError(
            f"Cơ sở dữ liệu đã có, thêm --force để cất nó sang một bên / The database already "
            f"exists; add --force to move it aside: {db_path}"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    staging = _free_name(db_path.with_name(f"{db_path.name}.restoring-{stamp}"))
    try:
        _litestream_restore(db_path, replica, staging, at)
        prepared = _prepare(staging)
    except BaseException:
        for path in family(staging):  # only the half-made copy; the old files are untouched
            path.unlink(missing_ok=True)
        raise
    aside = None
    if existing:
        aside = _free_name(db_path.with_name(f"{db_path.name}.before-restore-{stamp}"))
        _move(db_path, aside)
    _move(staging, db_path)
    when = at.isoformat() if at is not None else "bản mới nhất / latest"
    typer.echo(f"Đã khôi phục / Restored: {db_path}")
    typer.echo(f"  Từ bản sao / from replica: {replica} ({when})")
    typer.echo(f"  Số mục có lại / entries back: {format_number(prepared.entries)}")
    typer.echo(f"  Kỷ nguyên mới / new epoch: {prepared.epoch}")
    if aside is not None:
        typer.echo(f"  Tệp cũ đã cất sang / old database moved to: {aside}")
    typer.echo(
        "Lần đồng bộ tới, máy của tình nguyện viên sẽ gửi lại những mục bản sao còn thiếu. / "
        "At their next sync, volunteers' laptops send again whatever the backup is missing."
    )


@app.command("rotate-epoch")
def rotate_epoch_command(ctx: typer.Context) -> None:
    """Đổi kỷ nguyên sau khi khôi phục bằng cách khác / new epoch after restoring by other means.

    Laptops then send again everything they still hold whole.
    """
    from sync_server.services.secrets import rotate_epoch

    with context_of(ctx).session() as session:
        epoch = rotate_epoch(session)
    typer.echo(f"Kỷ nguyên mới / new epoch: {epoch}")
