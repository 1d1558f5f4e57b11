"""Bad input anywhere is one clear line and exit code 2, never a traceback (real processes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CliRunner = Callable[..., Any]


def _one_clean_line(result: Any) -> None:
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert len(result.err.strip().splitlines()) == 1, result.err


def test_unknown_province_in_a_real_process(proc: CliRunner, tmp_path: Path) -> None:
    result = proc("--db", f"sqlite:///{tmp_path / 's.sqlite3'}", "seed", "--province", "00")
    _one_clean_line(result)
    assert result.err.startswith("Lỗi / error: Không có tỉnh")


@pytest.mark.parametrize(
    "url",
    ["nonsense", "foo://bar/baz", "postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite:///"],
)
def test_bad_database_urls(cli: CliRunner, url: str) -> None:
    result = cli("--db", url, "units")
    if url == "sqlite:///":  # an in-memory database is a valid (empty) choice
        assert result.code == 0
        return
    _one_clean_line(result)
    assert "database" in result.err.lower()


def test_database_url_from_the_environment(proc: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "env.sqlite3"
    result = proc("init", env={"SYNC_SERVER_DATABASE_URL": f"sqlite:///{path}"})
    assert result.code == 0, result.err
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600


def test_unwritable_database_location(cli: CliRunner) -> None:
    _one_clean_line(cli("--db", "sqlite:////proc/nope/x.sqlite3", "init"))


def test_usage_errors(cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    for args in (
        ["bogus"],
        ["seed"],
        ["seed", "--province", "52", "--demo-entries", "lots"],
        ["seed", "--province", "52", "--demo-entries", "-1"],
        ["seed", "--province", "52", "--seed", "9" * 30],
        ["serve", "--port", "70000"],
        ["user", "add", "--role", "admin"],
    ):
        _one_clean_line(cli("--db", url, *args))


def test_usage_error_in_a_real_process(proc: CliRunner) -> None:
    _one_clean_line(proc("--db", "nonsense", "bogus"))


def test_import_bundle_refusals(cli: CliRunner, seeded_url: str, tmp_path: Path) -> None:
    missing = cli("--db", seeded_url, "import-bundle", str(tmp_path / "nope.bundle"))
    _one_clean_line(missing)
    garbage = tmp_path / "garbage.bundle"
    garbage.write_bytes(b"\x1f\x8b not really gzip")
    _one_clean_line(cli("--db", seeded_url, "import-bundle", str(garbage)))


def test_replicate_needs_a_sqlite_file(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("--db", "sqlite://", "serve", "--replicate", str(tmp_path / "replica"))
    _one_clean_line(result)
    assert "SQLite" in result.err


def test_help_works(proc: CliRunner) -> None:
    result = proc("--help")
    assert result.code == 0 and "seed" in result.out
