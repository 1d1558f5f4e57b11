"""What a newcomer met in the server CLI: no silent empty database, unit codes typed as
numbers, seeds that repeat exactly in any process, and honest counts on a second seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sync_server.db.engine import make_engine
from sync_server.services.init import migrate
from sync_server.services.units import UnitData, get_unit, upsert_units

CliRunner = Callable[..., Any]


def test_tally_without_a_database_says_how_to_make_one(cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    result = cli("--db", f"sqlite:///{missing}", "tally", "--unit", "52")
    assert result.code == 2
    assert "No database" in result.err and "sync-server init" in result.err
    assert "Unknown unit" not in result.err
    assert not missing.exists()


def test_init_still_creates_the_database(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    assert cli("--db", f"sqlite:///{path}", "init").code == 0
    assert path.exists()


def test_unit_codes_are_accepted_without_their_leading_zeros(
    cli: CliRunner, seeded_url: str
) -> None:
    communes = json.loads(cli("--db", seeded_url, "units", "--parent", "12", "--json").out)
    commune = next(c["code"] for c in communes if c["code"].startswith("0"))
    typed = commune.lstrip("0")
    padded = json.loads(cli("--db", seeded_url, "units", "--parent", commune, "--json").out)
    result = cli("--db", seeded_url, "units", "--parent", typed, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == padded and padded
    village = padded[0]["code"]
    tally = cli("--db", seeded_url, "tally", "--unit", village.lstrip("0"), "--json")
    assert tally.code == 0, tally.err
    assert {row["unit_code"] for row in json.loads(tally.out)} == {village}


def test_a_one_digit_province_code_finds_its_two_digit_unit(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    with Session(engine) as session:
        upsert_units(session, [UnitData("01", "Hà Nội", "province", None, "01", None)])
        assert get_unit(session, "1").code == "01"
        assert get_unit(session, " 01 ").code == "01"
    engine.dispose()


_NAMES = (
    "from seed.geography import load_province;"
    "print('|'.join(v.name for v in load_province('52').villages))"
)


def test_the_same_seed_gives_the_same_village_names_in_any_process() -> None:
    def names(hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        return subprocess.run(
            [sys.executable, "-c", _NAMES], capture_output=True, text=True, env=env, check=True
        ).stdout

    first = names("1")
    assert first.count("|") > 1000
    assert names("2") == first
    assert names("3") == first


def test_seeding_again_says_nothing_new_was_added(cli: CliRunner, seeded_url: str) -> None:
    result = cli("--db", seeded_url, "seed", "--province", "12", "--demo-entries", "150",
                 "--seed", "7")  # fmt: skip
    assert result.code == 0, result.err
    assert "new demo entries: 0 " in result.out
    again = cli("--db", seeded_url, "seed", "--province", "12", "--seed", "7", "--json")
    assert json.loads(again.out)["new_entries"] == 0
