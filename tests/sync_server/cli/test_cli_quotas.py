"""`sync-server quota set / import`: good rows saved, every bad row named with its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

CliRunner = Callable[..., Any]


def _target(url: str, unit: str, service: str, period: str) -> int | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            text("select target from quotas where unit_code = :u and service = :s and period = :p"),
            {"u": unit, "s": service, "p": period},
        ).scalar()
    engine.dispose()
    return None if value is None else int(value)


def test_import_saves_good_rows_and_reports_each_bad_one(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    csv_file = tmp_path / "q.csv"
    csv_file.write_text(
        "unit_code,service,period,target\n"
        "12,vneid_level1,2030,5000\n"
        "12,no_such_service,2030,5\n"
        "NOPE,vneid_level1,2030,5\n"
        "12,vneid_level2,20x0,5\n"
        "12,vneid_level2,2030,-3\n"
        "12,dvc_account,2030,99999999999999999999999\n"
        "12,cashless_payment,2030,1.234\n",
        encoding="utf-8",
    )
    result = cli("--db", seeded_url, "quota", "import", str(csv_file))
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.startswith("dòng")]
    assert [(line.split()[1], line.split(",")[1].split(":")[0].strip()) for line in lines] == [
        ("3", "service"),
        ("4", "unit_code"),
        ("5", "period"),
        ("6", "target"),
        ("7", "target"),
    ]
    assert _target(seeded_url, "12", "vneid_level1", "2030") == 5000
    assert _target(seeded_url, "12", "cashless_payment", "2030") == 1234
    assert _target(seeded_url, "12", "vneid_level2", "2030") is None


def test_import_semicolons_bom_and_extra_columns(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    csv_file = tmp_path / "q.csv"
    csv_file.write_bytes(
        "\ufeffUnit_Code;Service;Period;Target;Ghi chú\n12;vneid_level1;2031;70;xin chào\n".encode()
    )
    result = cli("--db", seeded_url, "quota", "import", str(csv_file))
    assert result.code == 0, result.err
    assert _target(seeded_url, "12", "vneid_level1", "2031") == 70


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe\x00\x01unit_code", "UTF-8"),
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"unit,service\n12,x\n", "Missing columns"),
    ],
)
def test_unusable_files_are_one_line_errors(
    cli: CliRunner, seeded_url: str, tmp_path: Path, content: bytes, needle: str
) -> None:
    csv_file = tmp_path / "q.csv"
    csv_file.write_bytes(content)
    result = cli("--db", seeded_url, "quota", "import", str(csv_file))
    assert result.code == 2
    assert needle in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_missing_file_and_directory(cli: CliRunner, seeded_url: str, tmp_path: Path) -> None:
    missing = cli("--db", seeded_url, "quota", "import", str(tmp_path / "nope.csv"))
    assert missing.code == 2 and "File not found" in missing.err
    folder = cli("--db", seeded_url, "quota", "import", str(tmp_path))
    assert folder.code == 2 and "directory" in folder.err


def test_quota_set_and_its_refusals(cli: CliRunner, seeded_url: str) -> None:
    ok = cli("--db", seeded_url, "quota", "set", "--unit", "12", "--service", "dvc_account",
             "--period", "2032", "--target", "1.500")  # fmt: skip
    assert ok.code == 0, ok.err
    assert _target(seeded_url, "12", "dvc_account", "2032") == 1500
    for args in (
        ["--unit", "12", "--service", "dvc_account", "--target", "9" * 40],
        ["--unit", "12", "--service", "dvc_account", "--target", "-1"],
        ["--unit", "12", "--service", "dvc_account", "--target", "200000000"],
        ["--unit", "NOPE", "--service", "dvc_account", "--target", "1"],
        ["--unit", "12", "--service", "nope", "--target", "1"],
        ["--unit", "12", "--service", "dvc_account", "--target", "1", "--period", "26"],
    ):
        result = cli("--db", seeded_url, "quota", "set", *args)
        assert result.code == 2, args
        assert "Traceback" not in result.err
