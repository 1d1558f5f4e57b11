"""`sync-server report campaign`, `target set` and group quotas, through the real CLI."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from fieldkit.domain import period_of
from sync_server.services.campaign_files import COLUMNS, HEADER_ROW

CliRunner = Callable[..., Any]
PERIOD = period_of(datetime.now(UTC))


def _json_report(cli: CliRunner, url: str, *extra: str) -> dict[str, Any]:
    result = cli("--db", url, "report", "campaign", "--unit", "12", "--period", PERIOD, *extra)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_xlsx_holds_the_same_numbers_as_json(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    data = _json_report(cli, seeded_url)
    out = tmp_path / "bao-cao.xlsx"
    result = cli(
        "--db", seeded_url, "report", "campaign", "--unit", "12", "--period", PERIOD,
        "--out", str(out),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    sheet = load_workbook(out).active
    assert sheet is not None
    assert sheet.freeze_panes == f"C{HEADER_ROW + 1}"
    assert "12" in str(sheet["A2"].value) and PERIOD in str(sheet["A3"].value)
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert headers == [c.header for c in COLUMNS]
    body = [
        [cell.value for cell in row]
        for row in sheet.iter_rows(
            min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 1 + len(data["rows"])
        )
    ]
    assert [r[0] for r in body] == [r["unit_code"] for r in data["rows"]] + [data["unit_code"]]
    for values, figures in zip(body, [*data["rows"], data["total"]], strict=True):
        assert values[8] == figures["accounts"]
        assert values[14] == figures["transacting_accounts"]
        assert values[18] == figures["vneid_level2"]
        assert values[19] == figures["citizens_helped"]
        assert values[6] == figures["members"]
        assert all(isinstance(v, int) for v in values[2:10] if v is not None)
        if figures["accounts_percent"] is not None:
            assert values[10] == pytest.approx(figures["accounts_percent"] / 100, abs=1e-4)
    assert body[-1][8] == sum(r["accounts"] for r in data["rows"]) > 0
    assert sheet.cell(HEADER_ROW + 1, 11).number_format == "0.0%"


def test_csv_and_json_files(cli: CliRunner, seeded_url: str, tmp_path: Path) -> None:
    data = _json_report(cli, seeded_url)
    out = tmp_path / "r.json"
    assert cli("--db", seeded_url, "report", "campaign", "--unit", "12", "--period", PERIOD,
               "--out", str(out)).code == 0  # fmt: skip
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["total"] == data["total"]
    csv_out = tmp_path / "r.csv"
    result = cli("--db", seeded_url, "report", "campaign", "--unit", "12", "--period", PERIOD,
                 "--format", "csv", "--out", str(csv_out))  # fmt: skip
    assert result.code == 0, result.err
    lines = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",")[0] == "Mã đơn vị"
    assert len(lines) == 1 + len(data["rows"]) + 1
    assert lines[-1].split(",")[8] == str(data["total"]["accounts"])


def test_bad_input_is_refused_and_writes_nothing(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    base = ("--db", seeded_url, "report", "campaign")
    cases = [
        ((*base, "--unit", "999", "--period", PERIOD, "--out", str(out)), "999"),
        ((*base, "--unit", "12", "--period", "20x6", "--out", str(out)), "20x6"),
        ((*base, "--unit", "12", "--period", PERIOD, "--format", "pdf", "--out", str(out)), "pdf"),
        ((*base, "--unit", "12", "--period", PERIOD, "--format", "xlsx"), "--out"),
    ]
    for args, shown in cases:
        result = cli(*args)
        assert result.code == 2, (args, result.err)
        assert shown in result.err and "Traceback" not in result.err
        assert not out.exists()
    out.write_bytes(b"keep me")
    result = cli(*base, "--unit", "12", "--period", PERIOD, "--out", str(out))
    assert result.code == 2 and "--force" in result.err
    assert out.read_bytes() == b"keep me"
    result = cli(*base, "--unit", "12", "--period", PERIOD, "--out", str(out), "--force")
    assert result.code == 0, result.err
    assert load_workbook(out).active is not None


def _quota(url: str, unit: str, group: str) -> int | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            text(
                "select target from quotas where unit_code = :u and service = 'dvc_account' "
                "and period = :p and target_group = :g"
            ),
            {"u": unit, "p": PERIOD, "g": group},
        ).scalar()
    engine.dispose()
    return None if value is None else int(value)


def test_group_quotas_and_target_share_reach_the_report(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    before = _quota(seeded_url, "12", "all")
    result = cli("--db", seeded_url, "quota", "set", "--unit", "12", "--service", "dvc_account",
                 "--target", "7", "--period", PERIOD, "--group", "non_youth")  # fmt: skip
    assert result.code == 0, result.err
    assert _quota(seeded_url, "12", "non_youth") == 7
    assert _quota(seeded_url, "12", "all") == before
    bad = cli("--db", seeded_url, "quota", "set", "--unit", "12", "--service", "dvc_account",
              "--target", "7", "--group", "elderly")  # fmt: skip
    assert bad.code == 2 and "group" in bad.err
    csv_file = tmp_path / "q.csv"
    csv_file.write_text(
        f"unit_code,service,period,target,group\n12,dvc_account,{PERIOD},9,youth\n"
        f"12,dvc_account,{PERIOD},5,teenagers\n",
        encoding="utf-8",
    )
    result = cli("--db", seeded_url, "quota", "import", str(csv_file))
    assert result.code == 2 and "dòng 3" in result.err and "group" in result.err
    assert _quota(seeded_url, "12", "youth") == 9
    assert cli("--db", seeded_url, "target", "set", "--unit", "12", "--period", PERIOD,
               "--percent", "37,5").code == 0  # fmt: skip
    for wrong in ("140", "abc"):
        refused = cli("--db", seeded_url, "target", "set", "--unit", "12", "--percent", wrong)
        assert refused.code == 2 and "0–100" in refused.err
    data = _json_report(cli, seeded_url)
    assert data["total"]["non_youth_quota"] == 7
    assert data["total"]["transaction_target"] == 37.5
    assert all(r["transaction_target"] == 37.5 for r in data["rows"])
    tally = cli("--db", seeded_url, "tally", "--unit", "12", "--period", PERIOD, "--json")
    rows = [r for r in json.loads(tally.out) if r["unit_code"] == "12"]
    account = next(r for r in rows if r["service"] == "dvc_account")
    assert account["non_youth_quota"] == 7 and account["youth_quota"] == 9


def _official_rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("select count(*) from official_counts")).scalar()
    engine.dispose()
    return int(count or 0)


def test_official_counts_import_all_or_nothing_and_show_the_gap(
    cli: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    data = _json_report(cli, seeded_url)
    commune = data["rows"][0]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "unit_code,period,figure,value\n"
        f"{commune['unit_code']},{PERIOD},accounts,12\n"
        f"999,{PERIOD},accounts,3\n"
        f"12,20x6,accounts,3\n"
        f"12,{PERIOD},selfies,3\n"
        f"12,{PERIOD},vneid_level2,-4\n",
        encoding="utf-8",
    )
    result = cli("--db", seeded_url, "report", "official", "import", str(bad))
    assert result.code == 2
    named = [line.split(",")[0] for line in result.err.splitlines() if line.startswith("dòng")]
    assert named == ["dòng 3 / row 3", "dòng 4 / row 4", "dòng 5 / row 5", "dòng 6 / row 6"]
    assert _official_rows(seeded_url) == 0
    good = tmp_path / "good.csv"
    good.write_text(
        "unit_code,period,figure,value\n"
        f"{commune['unit_code']},{PERIOD},accounts,1.000\n"
        f"12,{PERIOD},vneid_level2,7\n",
        encoding="utf-8",
    )
    result = cli("--db", seeded_url, "report", "official", "import", str(good))
    assert result.code == 0, result.err
    data = _json_report(cli, seeded_url)
    row = data["rows"][0]
    assert row["official"] == {"accounts": 1000}
    assert row["gaps"] == {"accounts": row["accounts"] - 1000}
    assert data["total"]["gaps"] == {"vneid_level2": data["total"]["vneid_level2"] - 7}
    out = tmp_path / "r.xlsx"
    assert cli("--db", seeded_url, "report", "campaign", "--unit", "12", "--period", PERIOD,
               "--out", str(out)).code == 0  # fmt: skip
    sheet = load_workbook(out).active
    assert sheet is not None
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert headers[len(COLUMNS) :] == [
        "Số chính thức tài khoản DVC",
        "Chênh lệch tài khoản DVC (ta − chính thức)",
        "Số chính thức VNeID mức 2",
        "Chênh lệch VNeID mức 2 (ta − chính thức)",
    ]
    first = [c.value for c in sheet[HEADER_ROW + 1]]
    assert first[len(COLUMNS) : len(COLUMNS) + 2] == [1000, row["accounts"] - 1000]
