"""`fieldkit add`: one entry per service, errors exit 2, unconfirmed warnings exit 3."""

from __future__ import annotations

import uuid
from pathlib import Path

from fieldkit_cli_helpers import Run

from fieldkit.store import EntryQuery, open_store

GOOD = (
    "add", "--name", "nguyễn văn  a", "--id-number", "052 090 001 234", "--birth-year", "1990",
    "--sex", "male", "--service", "vneid_level2", "--outcome", "success", "--consent",
)  # fmt: skip


def test_add_saves_one_entry_per_service_sharing_a_visit(cli: Run, home: Path) -> None:
    out = cli(*GOOD, "--service", "dvc_account", "--phone", "+84 912 345 678")
    assert out.code == 0, out.stderr
    ids = [uuid.UUID(line) for line in out.stdout.split()]
    assert len(ids) == 2
    with open_store(home) as store:
        rows = [store.get_entry(i) for i in ids]
        assert all(r is not None for r in rows)
        first, second = rows[0], rows[1]
        assert first is not None and second is not None
        assert first.visit_id is not None and first.visit_id == second.visit_id
        assert first.full_name == "Nguyễn Văn A" and first.phone == "0912345678"
        assert {first.service, second.service} == {"vneid_level2", "dvc_account"}
        assert len(store.pending_batch(10)) == 2


def test_add_json_prints_entries_and_warnings(cli: Run) -> None:
    out = cli(*GOOD, "--device-owner", "volunteer", "--yes", "--json")
    assert out.code == 0, out.stderr
    data = out.json()
    assert len(data["entries"]) == 1 and data["entries"][0]["service"] == "vneid_level2"
    assert [w["code"] for w in data["warnings"]] == ["device_owner.volunteer"]


def test_bad_id_number_exits_2_with_both_languages(cli: Run, home: Path) -> None:
    args = list(GOOD)
    args[args.index("052 090 001 234")] = "05209000123"
    out = cli(*args)
    assert out.code == 2
    assert "đúng 12 chữ số" in out.stderr and "exactly 12 digits" in out.stderr
    with open_store(home) as store:
        assert store.count_entries(EntryQuery()) == 0


def test_missing_consent_is_refused(cli: Run) -> None:
    out = cli(*[a for a in GOOD if a != "--consent"])
    assert out.code == 2
    assert "đồng ý" in out.stderr and "consent is required" in out.stderr


def test_unknown_service_and_village_are_refused(cli: Run) -> None:
    out = cli(*GOOD, "--service", "hack_the_planet", "--village", "99999-9")
    assert out.code == 2
    assert "hack_the_planet" in out.stderr and "99999-9" in out.stderr


def test_failed_outcome_needs_a_reason(cli: Run) -> None:
    args = [a if a != "success" else "failed" for a in GOOD]
    assert cli(*args).code == 2
    out = cli(*args, "--reason", "otp_not_received", "--reason", "no_network")
    assert out.code == 0, out.stderr


def test_warnings_are_refused_without_yes(cli: Run, home: Path) -> None:
    args = list(GOOD)
    args[args.index("1990")] = "1991"  # the number says 1990
    out = cli(*args)
    assert out.code == 3 and "--yes" in out.stderr and "1990" in out.stderr
    with open_store(home) as store:
        assert store.count_entries(EntryQuery()) == 0
    assert cli(*args, "--yes").code == 0


def test_already_helped_on_this_laptop_is_a_warning(cli: Run) -> None:
    assert cli(*GOOD).code == 0
    again = cli(*GOOD)
    assert again.code == 3 and "đã được hỗ trợ" in again.stderr


def test_english_messages_with_fieldkit_lang(cli: Run) -> None:
    out = cli(*GOOD, "--at", "31/02/2026", lang="en")
    assert out.code == 2 and "dd/mm/yyyy" in out.stderr


def test_note_with_an_otp_is_refused(cli: Run) -> None:
    out = cli(*GOOD, "--note", "OTP 123456")
    assert out.code == 2 and "OTP" in out.stderr


def test_a_date_for_paper_forms(cli: Run, home: Path) -> None:
    out = cli(*GOOD, "--at", "03/01/2026 08:15")
    assert out.code == 0, out.stderr
    with open_store(home) as store:
        (row,) = store.query_entries(EntryQuery())
    assert row.assisted_at.isoformat() == "2026-01-03T01:15:00+00:00"


def test_hostile_values_are_refused_cleanly(cli: Run, home: Path) -> None:
    def with_value(option: str, value: str) -> list[str]:
        args = list(GOOD)
        if option in args:
            args[args.index(option) + 1] = value
            return args
        return [*args, option, value]

    cases = [
        ("--name", "A" * 100_000),
        ("--name", "Nguyễn\x00Văn"),
        ("--name", '=HYPERLINK("http://x")'),
        ("--note", "x" * 5_000),
        ("--note", "bell\x07"),
        ("--phone", "0912345678; DROP TABLE entries"),
        ("--id-number", "０５２０９０００１２３４５"),  # 13 full-width digits
        ("--village", "../../etc"),
        ("--sex", "other"),
        ("--outcome", "maybe"),
        ("--reason", "because"),
        ("--device-owner", "neighbour"),
    ]
    for option, value in cases:
        out = cli(*with_value(option, value))
        assert out.code == 2, (option, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr and out.stderr.strip()
    with open_store(home) as store:
        assert store.count_entries(EntryQuery()) == 0
