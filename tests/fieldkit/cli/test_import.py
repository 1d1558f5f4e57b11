"""`fieldkit import FILE.csv`: good rows saved, every bad row reported by number, hostile files."""

from __future__ import annotations

from pathlib import Path

from fieldkit_cli_helpers import Run

from fieldkit.store import EntryQuery, open_store

HEADER = "name,id_number,birth_year,sex,phone,village,service,outcome,reasons,consent"


def write(tmp_path: Path, text: str | bytes, name: str = "forms.csv") -> str:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def count(home: Path) -> int:
    with open_store(home) as store:
        return store.count_entries(EntryQuery())


def test_good_rows_are_saved_and_bad_rows_reported_by_number(
    cli: Run, home: Path, tmp_path: Path
) -> None:
    rows = [
        HEADER,
        "Nguyễn Văn A,052090001234,1990,male,0912345678,21001-1,vneid_level2,success,,yes",
        "Trần Thị B,05209000,1990,female,,,vneid_level2,success,,yes",  # row 3: short number
        "Lê Văn C,052090004321,1990,male,,,dvc_account;vneid_level1,success,,có",  # 2 services
        "Phạm D,052090005555,1990,male,,,vneid_level2,failed,otp_not_received|no_network,yes",
        "Hồ E,052090006666,1990,male,,,vneid_level2,success,,no",  # row 6: no consent
        "Võ F,052090007777,abc,male,,,vneid_level2,success,,yes",  # row 7: bad year
    ]
    out = cli("import", write(tmp_path, "\n".join(rows) + "\n"))
    assert out.code == 2
    assert "Đã lưu 3/6 dòng (4 bản ghi)" in out.stdout
    for row in ("Dòng 3", "Dòng 6", "Dòng 7"):
        assert row in out.stdout
    assert "Dòng 2" not in out.stdout and "Dòng 5" not in out.stdout
    assert "12 digits" in out.stdout and "consent" in out.stdout
    assert count(home) == 4
    with open_store(home) as store:
        (failed,) = store.query_entries(EntryQuery(search="pham"))
        assert [r.value for r in failed.reasons] == ["otp_not_received", "no_network"]


def test_import_json_report(cli: Run, tmp_path: Path) -> None:
    text = f"{HEADER}\nA B,052090001234,1990,male,,,vneid_level2,success,,yes\nC,1,1,x,,,,,,\n"
    out = cli("import", "--json", write(tmp_path, text))
    data = out.json()
    assert (data["rows"], data["saved_rows"], len(data["entries"])) == (2, 1, 1)
    assert data["refused"][0]["row"] == 3 and data["refused"][0]["problems"]


def test_bom_and_crlf_and_header_case_are_tolerated(cli: Run, home: Path, tmp_path: Path) -> None:
    text = (
        "\ufeff"
        + HEADER.upper()
        + "\r\nNguyễn Văn A,052090001234,1990,male,,,vneid_level2,success,,YES\r\n"
    )
    out = cli("import", write(tmp_path, text.encode("utf-8")))
    assert out.code == 0, out.stdout + out.stderr
    assert count(home) == 1


def test_warning_rows_need_yes(cli: Run, home: Path, tmp_path: Path) -> None:
    text = f"{HEADER}\nNguyễn Văn A,052090001234,1991,male,,,vneid_level2,success,,yes\n"
    path = write(tmp_path, text)
    out = cli("import", path)
    assert out.code == 2 and "--yes" in out.stdout and count(home) == 0
    assert cli("import", "--yes", path).code == 0 and count(home) == 1


def test_non_utf8_file_is_a_clear_message(cli: Run, home: Path, tmp_path: Path) -> None:
    text = f"{HEADER}\nNguyễn Văn A,052090001234,1990,male,,,vneid_level2,success,,yes\n"
    out = cli("import", write(tmp_path, text.encode("cp1258", errors="replace")))
    assert out.code == 2 and "UTF-8" in out.stderr
    assert count(home) == 0


def test_binary_junk_empty_and_missing_columns(cli: Run, home: Path, tmp_path: Path) -> None:
    junk = cli("import", write(tmp_path, bytes(range(256)) * 20, "junk.csv"))
    assert junk.code == 2 and "UTF-8" in junk.stderr
    empty = cli("import", write(tmp_path, b"", "empty.csv"))
    assert empty.code == 2 and "trống" in empty.stderr
    missing = cli("import", write(tmp_path, "name,id_number\nA,1\n", "cols.csv"))
    assert missing.code == 2 and "birth_year" in missing.stderr and "sex" in missing.stderr
    nofile = cli("import", str(tmp_path / "absent.csv"))
    assert nofile.code == 2 and "absent.csv" in nofile.stderr
    assert count(home) == 0


def test_huge_field_and_broken_quotes_are_row_errors(cli: Run, home: Path, tmp_path: Path) -> None:
    good = "Nguyễn Văn A,052090001234,1990,male,,,vneid_level2,success,,yes"
    huge = "X" * 300_000
    text = f'{HEADER}\n"{huge}",052090001111,1990,male,,,vneid_level2,success,,yes\n{good}\n'
    out = cli("import", write(tmp_path, text))
    assert out.code == 2 and "Dòng 2" in out.stdout
    assert count(home) == 1
    extra = f"{HEADER}\n{good},surplus\n"
    out = cli("import", write(tmp_path, extra, "extra.csv"))
    assert out.code == 2 and "Dòng 2" in out.stdout


def test_formula_injection_is_kept_as_plain_text(cli: Run, home: Path, tmp_path: Path) -> None:
    formula = "=cmd|' /C calc'!A0"
    header = HEADER + ",note"
    rows = [
        header,
        f'Nguyễn Văn A,052090001234,1990,male,,,vneid_level2,success,,yes,"{formula}"',
        f'"{formula}",052090009999,1990,male,,,vneid_level2,success,,yes,',
    ]
    out = cli("import", write(tmp_path, "\n".join(rows) + "\n"))
    assert out.code == 2 and "Dòng 3" in out.stdout  # a formula is not a name
    with open_store(home) as store:
        (row,) = store.query_entries(EntryQuery())
    assert row.note == formula  # stored verbatim, never evaluated
    listed = cli("list", "--json").json()
    assert listed["entries"][0]["note"] == formula
