"""The CLI on PostgreSQL: seed, users, quotas, tally and recount work the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

CliRunner = Callable[..., Any]


@pytest.mark.postgres
def test_cli_on_postgres(cli: CliRunner, pg_url: str) -> None:
    seeded = cli("--db", pg_url, "seed", "--province", "12", "--demo-entries", "40")
    assert seeded.code == 0, seeded.err
    again = cli("--db", pg_url, "seed", "--province", "12", "--demo-entries", "40", "--json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["communes"] == 38
    added = cli("--db", pg_url, "user", "add", "--role", "coordinator", "--unit", "03388",
                "--name", "Tòng Văn Hùng", "--json")  # fmt: skip
    assert added.code == 0, added.err
    assert "password" in json.loads(added.out)
    rows = json.loads(cli("--db", pg_url, "tally", "--unit", "12", "--json").out)
    assert sum(r["achieved"] for r in rows if r["unit_code"] == "12") > 0
    assert cli("--db", pg_url, "recount", "--check").code == 0
    units = json.loads(cli("--db", pg_url, "units", "--parent", "12", "--json").out)
    assert len(units) == 38
