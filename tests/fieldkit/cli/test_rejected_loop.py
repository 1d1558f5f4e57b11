"""The rejected-entry loop end to end: a real server, a coordinator's review, the CLI fixes it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from fieldkit_cli_helpers import Outcome
from fieldkit_cli_server import BIN, COMMUNE, RunningServer

from fieldkit.domain import wire

PROTOCOL = {wire.PROTOCOL_HEADER: wire.PROTOCOL_VERSION}

PERSON = ["--name", "Nguyễn Văn A", "--id-number", "052090001234", "--birth-year", "1990",
          "--sex", "male", "--consent"]  # fmt: skip


def _laptop(home: Path) -> Any:
    """Run the real `fieldkit` console script against one FIELDKIT_HOME."""
    env = {**os.environ, "FIELDKIT_HOME": str(home), "FIELDKIT_LANG": "vi"}
    env.pop("FIELDKIT_PROFILE", None)
    env["FIELDKIT_MASK_AFTER_MINUTES"] = "0"  # numbers are masked at the sync after the ack

    def run(*args: str) -> Outcome:
        proc = subprocess.run(
            [str(BIN / "fieldkit"), *args], capture_output=True, text=True, env=env, timeout=120
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    return run


def _server_entry(server: RunningServer, staff: dict[str, str], entry_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/api/v1/entries", params={"unit": COMMUNE}, headers=staff, timeout=30
    )
    assert response.status_code == 200, response.text
    found = [e for e in response.json()["data"] if e["id"] == entry_id]
    assert len(found) == 1
    entry: dict[str, Any] = found[0]
    return entry


@pytest.mark.slow
def test_a_rejected_entry_is_fixed_on_the_laptop_and_waits_for_review_again(
    server: RunningServer, tmp_path: Path
) -> None:
    fieldkit = _laptop(tmp_path / "home")
    assert fieldkit("enroll", server.url, server.code).code == 0
    added = fieldkit("add", *PERSON, "--service", "vneid_level2", "--outcome", "success", "--json")
    assert added.code == 0, added.stderr
    entry_id = json.loads(added.stdout)["entries"][0]["id"]
    for _ in range(2):  # acknowledged, then masked by the confirming sync
        synced = fieldkit("sync", "--json")
        assert synced.code == 0, synced.stderr
    listed = json.loads(fieldkit("list", "--json").stdout)["entries"][0]
    assert listed["id_number"] == "•••••••••234" and not listed["editable"]

    login = httpx.post(
        f"{server.url}/api/v1/login",
        json={"user": server.coordinator, "password": server.password},
        headers=PROTOCOL,
        timeout=30,
    )
    assert login.status_code == 200, login.text
    staff = PROTOCOL | {"Authorization": f"Bearer {login.json()['token']}"}
    reviewed = httpx.post(
        f"{server.url}/api/v1/entries/{entry_id}/review",
        json={"decision": "rejected", "reason": "Sai năm sinh"},
        headers=staff,
        timeout=30,
    )
    assert reviewed.status_code < 300, reviewed.text
    assert fieldkit("sync").code == 0

    returned = json.loads(fieldkit("list", "--rejected", "--json").stdout)
    assert returned["total"] == 1
    row = returned["entries"][0]
    assert (row["id"], row["review_decision"], row["review_reason"]) == (
        entry_id,
        "rejected",
        "Sai năm sinh",
    )
    assert row["editable"] and not row["number_editable"]
    text = fieldkit("list", "--rejected").stdout
    assert "Sai năm sinh" in text and f"fieldkit edit {entry_id}" in text
    status = json.loads(fieldkit("status", "--json").stdout)
    assert status["rejected"] == 1

    # The number was masked after the acknowledgement: it cannot change, the rest can.
    refused = fieldkit("edit", entry_id, "--id-number", "052090009999")
    assert refused.code == 2 and "che" in refused.stderr
    edited = fieldkit(
        "edit", entry_id, "--birth-year", "1991", "--note", "đã sửa năm sinh", "--yes"
    )
    assert edited.code == 0, edited.stderr
    assert json.loads(fieldkit("status", "--json").stdout)["rejected"] == 0
    synced = json.loads(fieldkit("sync", "--json").stdout)
    assert (synced["pushed"], synced["accepted"]) == (1, 1)

    on_server = _server_entry(server, staff, entry_id)
    assert on_server["review_status"] == "pending"
    assert (on_server["birth_year"], on_server["note"]) == (1991, "đã sửa năm sinh")
    assert on_server["rev"] == 2 and on_server["id_masked"].endswith("234")
    assert json.loads(fieldkit("list", "--rejected", "--json").stdout)["total"] == 0


@pytest.mark.slow
def test_a_pending_outcome_is_updated_when_the_citizen_comes_back(
    server: RunningServer, tmp_path: Path
) -> None:
    fieldkit = _laptop(tmp_path / "home")
    assert fieldkit("enroll", server.url, server.code).code == 0
    added = fieldkit(
        "add", *PERSON, "--service", "vneid_level2", "--outcome", "pending",
        "--reason", "no_chip_card", "--json",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    entry_id = json.loads(added.stdout)["entries"][0]["id"]
    for _ in range(2):
        assert fieldkit("sync").code == 0
    follow_up = json.loads(fieldkit("list", "--follow-up", "--json").stdout)
    assert [e["id"] for e in follow_up["entries"]] == [entry_id]
    assert json.loads(fieldkit("status", "--json").stdout)["follow_up"] == 1

    edited = fieldkit("edit", entry_id, "--outcome", "success", "--yes")
    assert edited.code == 0, edited.stderr
    synced = json.loads(fieldkit("sync", "--json").stdout)
    assert synced["accepted"] == 1
    status = json.loads(fieldkit("status", "--json").stdout)
    level2 = next(v for v in status["villages"] if v["service"] == "vneid_level2")
    assert (status["follow_up"], level2["achieved"]) == (0, 1)
