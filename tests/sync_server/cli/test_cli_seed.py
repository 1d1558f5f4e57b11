"""`sync-server seed`: real provinces, idempotent, deterministic; `units` lists them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

CliRunner = Callable[..., Any]


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_seed_gia_lai_by_subprocess_and_again_duplicates_nothing(
    proc: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    first = proc("--db", url, "seed", "--province", "52", "--demo-entries", "200")
    assert first.code == 0, first.err
    assert "135 xã/phường" in first.out
    communes = json.loads(proc("--db", url, "units", "--parent", "52", "--json").out)
    assert len(communes) == 135
    assert {c["level"] for c in communes} == {"commune"}
    count_sql = (
        "select (select count(*) from units), (select count(*) from users),"
        " (select count(*) from quotas), (select count(*) from entries)"
    )
    before = _rows(url, count_sql)
    assert before[0][0] == 1 + 135 + sum(
        1 for _ in _rows(url, "select code from units where level = 'village'")
    )
    again = proc("--db", url, "seed", "--province", "52", "--demo-entries", "200")
    assert again.code == 0, again.err
    assert _rows(url, count_sql) == before
    assert proc("--db", url, "recount", "--check").code == 0
    sample = Path(__file__).parents[3] / "seed" / "samples" / "quotas-gia-lai-2026.csv"
    imported = proc("--db", url, "quota", "import", str(sample))
    assert imported.code == 0, imported.err
    assert imported.out.startswith("Đã lưu")


def test_another_province_and_its_villages(cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    assert cli("--db", url, "seed", "--province", "46").code == 0
    provinces = json.loads(cli("--db", url, "units", "--json").out)
    assert [p["code"] for p in provinces] == ["46"]
    communes = json.loads(cli("--db", url, "units", "--parent", "46", "--json").out)
    assert len(communes) == 40
    villages = json.loads(cli("--db", url, "units", "--parent", communes[0]["code"], "--json").out)
    assert 8 <= len(villages) <= 10
    assert all(v["code"].startswith(communes[0]["code"] + "-") for v in villages)
    table = cli("--db", url, "units", "--parent", "46").out
    assert table.splitlines()[0].split() == ["Mã", "Tên", "Cấp"]


def test_same_seed_gives_the_same_data(cli: CliRunner, tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / f's{i}.sqlite3'}" for i in range(2)]
    for url in urls:
        result = cli("--db", url, "seed", "--province", "12", "--demo-entries", "30", "--seed", "9")
        assert result.code == 0, result.err
    queries = (
        "select id, village_code, service, outcome, id_masked from entries order by id",
        "select unit_code, service, period, target from quotas order by 1, 2, 3",
        "select name, unit_code from users order by id",
    )
    for sql in queries:
        assert _rows(urls[0], sql) == _rows(urls[1], sql)


def test_village_quotas_add_up_to_the_commune_quota(seeded_url: str) -> None:
    mismatched = _rows(
        seeded_url,
        "select c.unit_code, c.service, c.target, sum(v.target) from quotas c"
        " join units u on u.parent_code = c.unit_code and u.level = 'village'"
        " join quotas v on v.unit_code = u.code and v.service = c.service"
        " and v.period = c.period and v.target_group = c.target_group"
        " group by c.unit_code, c.service, c.target_group, c.target"
        " having c.target != sum(v.target)",
    )
    assert mismatched == []
    groups = (
        "select target_group, count(*) from quotas where unit_code = '12' group by 1 order by 1"
    )
    assert _rows(seeded_url, groups) == [("all", 5), ("non_youth", 1)]


def test_seeded_identity_numbers_are_masked_and_ages_consistent(seeded_url: str) -> None:
    rows = _rows(seeded_url, "select id_masked, birth_year from entries")
    assert len(rows) > 100
    for masked, _birth_year in rows:
        assert isinstance(masked, str) and masked[:9] == "•" * 9 and masked[9:].isdigit()


def test_unknown_province_is_a_clear_error(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("--db", f"sqlite:///{tmp_path / 's.sqlite3'}", "seed", "--province", "99")
    assert result.code == 2
    assert "Unknown province" in result.err and "Không có tỉnh" in result.err
    assert len(result.err.strip().splitlines()) == 1
