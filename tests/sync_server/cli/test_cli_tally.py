"""`sync-server tally`, `recount --check` and `export` on a seeded database."""

from __future__ import annotations

import csv
import json
import re
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

CliRunner = Callable[..., Any]
PERIOD = str(datetime.now(UTC).year)
TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_tally_json_covers_the_subtree_with_quotas(cli: CliRunner, seeded_url: str) -> None:
    result = cli("--db", seeded_url, "tally", "--unit", "12", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    units = {r["unit_code"] for r in rows}
    assert "12" in units and any("-" in u for u in units)
    province = {r["service"]: r for r in rows if r["unit_code"] == "12"}
    assert province["vneid_level2"]["quota"] > 0
    achieved = sum(r["achieved"] for r in province.values())
    assert achieved > 0
    for row in province.values():
        if row["quota"]:
            assert row["percentage"] == pytest.approx(
                100 * row["achieved"] / row["quota"], abs=0.051
            )


def test_tally_table_has_vietnamese_headers_and_numbers(cli: CliRunner, seeded_url: str) -> None:
    cli("--db", seeded_url, "quota", "set", "--unit", "12", "--service", "vneid_level1",
        "--period", PERIOD, "--target", "2")  # fmt: skip
    result = cli("--db", seeded_url, "tally", "--unit", "12", "--period", PERIOD)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "Chỉ tiêu" in lines[1] and "Tỷ lệ" in lines[1] and "Đạt" in lines[1]
    assert len({len(line) for line in lines[3:8]}) <= 2  # aligned columns
    level1 = next(line for line in lines if line.startswith("12 ") and "VNeID mức 1" in line)
    assert re.search(r"\d+,\d %", level1)  # e.g. "350,0 %", over 100 %


def test_tally_of_unknown_unit_is_refused(cli: CliRunner, seeded_url: str) -> None:
    result = cli("--db", seeded_url, "tally", "--unit", "99999")
    assert result.code == 2 and "Unknown unit" in result.err


def test_recount_check_passes_after_seed_and_fails_after_corruption(
    cli: CliRunner, seeded_url: str
) -> None:
    assert cli("--db", seeded_url, "recount", "--check").code == 0
    _sql(
        seeded_url,
        "update tallies set achieved = achieved + 7"
        f" where unit_code = '12' and service = 'vneid_level2' and period = '{PERIOD}'",
    )
    broken = cli("--db", seeded_url, "recount", "--check")
    assert broken.code == 1
    assert "expected" in broken.out
    fixed = cli("--db", seeded_url, "recount")
    assert fixed.code == 0
    assert cli("--db", seeded_url, "recount", "--check").code == 0


@pytest.mark.parametrize("figure", ["helped", "transacting"])
def test_recount_check_covers_the_kept_people_counts(
    cli: CliRunner, seeded_url: str, figure: str
) -> None:
    _sql(
        seeded_url,
        f"update citizen_tallies set {figure} = {figure} + 3"
        f" where unit_code = '12' and period = '{PERIOD}'",
    )
    broken = cli("--db", seeded_url, "recount", "--check")
    assert broken.code == 1
    assert f"citizens 12|{PERIOD}: expected" in broken.out
    assert cli("--db", seeded_url, "recount").code == 0
    assert cli("--db", seeded_url, "recount", "--check").code == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_has_masked_identities_only(
    cli: CliRunner, seeded_url: str, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "exports" / f"entries.{fmt}"
    out.parent.mkdir()
    result = cli("--db", seeded_url, "export", "--unit", "12", "--format", fmt, "--out", str(out))
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds names
    written = out.read_bytes()
    again = cli("--db", seeded_url, "export", "--unit", "12", "--format", fmt, "--out", str(out))
    assert again.code == 2 and "--force" in again.err
    out.write_bytes(b"kept")
    again = cli("--db", seeded_url, "export", "--unit", "12", "--format", fmt, "--out", str(out))
    assert again.code == 2 and out.read_bytes() == b"kept"
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left
    forced = cli("--db", seeded_url, "export", "--unit", "12", "--format", fmt, "--out",
                 str(out), "--force")  # fmt: skip
    assert forced.code == 0, forced.err
    assert out.read_bytes() != b"kept" and (fmt == "xlsx" or out.read_bytes() == written)
    if fmt == "csv":
        rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
        assert rows[0][0] == "Mã mục" and len(rows) > 100
        body = out.read_text(encoding="utf-8-sig")
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(out, read_only=True).active
        rows = [[str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
        assert rows[0][0] == "Mã mục" and len(rows) > 100
        body = "\n".join(",".join(r) for r in rows)
    # Entry ids are UUIDs whose last group can be 12 decimal digits; they are not identities.
    without_ids = UUID.sub("", body)
    assert not TWELVE_DIGITS.search(without_ids)
    assert "•" in body


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--unit", "12", "--format", "pdf"], "Unsupported format"),
        (["--unit", "NOPE", "--format", "csv"], "Unknown unit"),
    ],
)
def test_export_refusals(
    cli: CliRunner, seeded_url: str, tmp_path: Path, args: list[str], needle: str
) -> None:
    result = cli("--db", seeded_url, "export", *args, "--out", str(tmp_path / "x.out"))
    assert result.code == 2 and needle in result.err


def test_export_into_a_missing_directory(cli: CliRunner, seeded_url: str, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "x.csv"
    result = cli("--db", seeded_url, "export", "--unit", "12", "--format", "csv", "--out", str(out))
    assert result.code == 2 and "No such directory" in result.err
