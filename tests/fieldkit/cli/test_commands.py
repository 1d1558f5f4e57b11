"""list, status, export-bundle, sync and profiles through the CLI; failures never a traceback."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fieldkit_cli_helpers import Run
from fieldkit_store_helpers import fake_enrollment

from fieldkit.domain.bundle import read_bundle
from fieldkit.domain.wire import PushItemResult, PushResponse
from fieldkit.store import create_profile, open_store
from sync_server.services import signing_keys

ADD = (
    "add", "--name", "Nguyễn Văn A", "--id-number", "052090001234", "--birth-year", "1990",
    "--sex", "male", "--service", "vneid_level2", "--outcome", "success", "--consent",
)  # fmt: skip


def test_list_json_masks_numbers_and_filters_pending(cli: Run, home: Path) -> None:
    assert cli(*ADD).code == 0
    other = [a if a != "052090001234" else "052090004444" for a in ADD]
    assert cli(*other).code == 0
    with open_store(home) as store:
        store.apply_push_response(
            PushResponse(
                last_mutation_id=1,
                results=[PushItemResult(mutation_id=1, status="accepted")],
                server_epoch="epoch-1",
            )
        )
    data = cli("list", "--json").json()
    assert data["total"] == 2
    numbers = {e["id_number"] for e in data["entries"]}
    assert numbers == {"•••••••••234", "•••••••••444"}
    pending = cli("list", "--json", "--pending").json()
    assert [e["status"] for e in pending["entries"]] == ["pending"]
    assert pending["entries"][0]["assisted_at"].endswith("+00:00")
    text = cli("list", "--search", "nguyen van a")
    assert text.code == 0 and "2/2 bản ghi" in text.stdout and "052090004444" not in text.stdout


def test_list_of_an_empty_store(cli: Run) -> None:
    assert "Chưa có bản ghi" in cli("list").stdout
    assert cli("list", "--json").json() == {"total": 0, "entries": []}


def test_status_json_and_text(cli: Run) -> None:
    assert cli(*ADD).code == 0
    data = cli("status", "--json").json()
    assert (data["pending"], data["rejected"], data["duplicates"]) == (1, 0, 0)
    assert data["profile"]["user_name"] == "Lê Thị Đào"
    level2 = next(v for v in data["villages"] if v["service"] == "vneid_level2")
    assert level2["achieved"] == 1 and level2["percentage"] is None
    text = cli("status")
    assert "Chưa gửi: 1" in text.stdout and "chưa bao giờ" in text.stdout
    assert "Pending: 1" in cli("status", lang="en").stdout


def test_export_bundle_writes_a_private_signed_file(cli: Run, home: Path, tmp_path: Path) -> None:
    assert cli(*ADD).code == 0
    target = tmp_path / "outbox.fkb"
    out = cli("export-bundle", str(target))
    assert out.code == 0 and "1" in out.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = cli("export-bundle", str(target), "--force", lang="en")
    assert "Sync once while online" in again.stderr
    with open_store(home) as store:
        key = store.signing_key()
        assert not key.registered  # enrolled before the server took keys: made on first use

        def verify(_device: str, body: bytes, signature: bytes) -> None:
            signing_keys.verify(key.public_key, body, signature)

        bundle = read_bundle(target.read_bytes(), verify)
        assert len(bundle.mutations) == 1 and len(store.pending_batch(10)) == 1  # still queued
    bad = cli("export-bundle", str(tmp_path / "no" / "such" / "dir" / "x.fkb"))
    assert bad.code == 1 and "Traceback" not in bad.stderr


def test_export_bundle_never_overwrites_without_force(cli: Run, tmp_path: Path) -> None:
    assert cli(*ADD).code == 0
    target = tmp_path / "outbox.fkb"
    target.write_bytes(b"someone's other file")
    refused = cli("export-bundle", str(target))
    assert refused.code == 2 and "--force" in refused.stderr + refused.stdout
    assert target.read_bytes() == b"someone's other file"
    assert not list(tmp_path.glob(".outbox.fkb*"))  # no temporary left
    forced = cli("export-bundle", str(target), "--force")
    assert forced.code == 0 and target.read_bytes() != b"someone's other file"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_profiles_are_chosen_with_profile(cli: Run, home: Path) -> None:
    create_profile(home, fake_enrollment("Trần Văn Bình"), "http://127.0.0.1:9").close()
    out = cli("--profile", "le-thi-dao", "status", "--json")
    assert out.json()["profile"]["name"] == "le-thi-dao"
    bad = cli("--profile", "../../etc", "status")
    assert bad.code == 1 and "Tên hồ sơ" in bad.stderr
    unknown = cli("--profile", "nobody", "list")
    assert unknown.code == 1 and "le-thi-dao" in unknown.stderr


def test_no_profile_says_how_to_enroll(cli: Run, home: Path) -> None:
    import shutil

    shutil.rmtree(home / "profiles")
    out = cli("status")
    assert out.code == 1 and "fieldkit enroll" in out.stderr


def test_enroll_rejects_a_non_http_url(cli: Run) -> None:
    out = cli("enroll", "ftp://server", "ABCD-1234")
    assert out.code == 2 and "http://" in out.stderr


@pytest.mark.slow
def test_sync_with_no_server_fails_cleanly_and_keeps_data(
    cli: Run, fieldkit: Run, home: Path
) -> None:
    assert cli(*ADD).code == 0
    out = fieldkit("sync", env={"FIELDKIT_SYNC_MAX_ATTEMPTS": "1"})
    assert out.code == 1 and "Traceback" not in out.stderr
    assert "an toàn" in out.stderr  # "your data is safe"
    with open_store(home) as store:
        status = store.status()
        assert status.pending == 1 and status.last_error


@pytest.mark.slow
def test_subprocess_add_then_list(fieldkit: Run) -> None:
    out = fieldkit(*ADD, "--json")
    assert out.code == 0, out.stderr
    listed = fieldkit("list", "--json")
    assert listed.json()["entries"][0]["id"] == out.json()["entries"][0]["id"]


@pytest.mark.slow
def test_subprocess_errors_never_show_a_traceback(fieldkit: Run, home: Path) -> None:
    bad_year = fieldkit("add", "--name", "A", "--id-number", "1", "--birth-year", "abc",
                        "--sex", "male", "--service", "x", "--outcome", "success")  # fmt: skip
    assert bad_year.code == 2 and "Traceback" not in bad_year.stderr
    db = home / "profiles" / "le-thi-dao" / "fieldkit.sqlite3"
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    broken = fieldkit("status")
    assert broken.code == 1 and "Traceback" not in broken.stderr and broken.stderr.strip()
    settings = fieldkit("status", env={"FIELDKIT_RETENTION_DAYS": "many"})
    assert settings.code == 2 and "Traceback" not in settings.stderr


def test_rejected_entries_are_listed_with_the_servers_reason(cli: Run, home: Path) -> None:
    assert cli(*ADD).code == 0
    with open_store(home) as store:
        store.apply_push_response(
            PushResponse(
                last_mutation_id=1,
                results=[
                    PushItemResult(
                        mutation_id=1,
                        status="rejected",
                        code="village.not_yours",
                        message="Thôn/ấp 21001-1 không thuộc tổ của bạn.",
                    )
                ],
                server_epoch="epoch-1",
            )
        )
    out = cli("list", "--rejected")
    assert "rejected" in out.stdout and "không thuộc tổ của bạn" in out.stdout
    assert "•••••••••234" in out.stdout and "052090001234" not in out.stdout
    assert "fieldkit list --rejected" in cli("status").stdout


def test_a_corrupt_database_is_named_not_dumped(cli: Run, home: Path) -> None:
    db = home / "profiles" / "le-thi-dao" / "fieldkit.sqlite3"
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(b"\x00garbage" * 1000)
    out = cli("list")
    assert out.code == 1
    assert "le-thi-dao" in out.stderr and "not a database" in out.stderr
    assert "sqlalche.me" not in out.stderr and "Traceback" not in out.stderr


def test_a_start_long_past_the_grace_period_masks_the_number(cli: Run, home: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select, update

    from fieldkit.store.models import EntryRecord

    assert cli(*ADD).code == 0
    with open_store(home) as store:
        store.apply_push_response(
            PushResponse(
                last_mutation_id=1,
                results=[PushItemResult(mutation_id=1, status="accepted")],
                server_epoch="epoch-1",
            )
        )
        # Acknowledged 8 days ago, and no sync since confirmed it (the laptop went offline).
        with store._write() as session:
            session.execute(
                update(EntryRecord).values(updated_at=datetime.now(UTC) - timedelta(days=8))
            )
    with open_store(home) as store, store._read() as session:
        assert list(session.scalars(select(EntryRecord.id_number))) == ["052090001234"]
    assert cli("status").code == 0  # any start of fieldkit
    with open_store(home) as store, store._read() as session:
        assert list(session.scalars(select(EntryRecord.id_number))) == ["•••••••••234"]


def test_status_counts_people_and_services_today_and_in_all(cli: Run) -> None:
    def add(
        name: str, number: str, *services: str, phone: str = "0912345678", at: str = ""
    ) -> None:
        year = ("19" if number[3] in "01" else "20") + number[4:6]
        sex = "male" if int(number[3]) % 2 == 0 else "female"
        args = ["add", "--name", name, "--id-number", number, "--birth-year", year]
        args += ["--sex", sex, "--outcome", "success", "--consent", "--yes", "--phone", phone]
        args += [a for s in services for a in ("--service", s)]
        assert cli(*args, *(["--at", at] if at else [])).code == 0

    # Five people today, nine services: a household of two shares a phone.
    add("Nguyễn Văn An", "052090001234", "vneid_level1", "vneid_level2")
    add("Trần Thị Bích", "052195001234", "vneid_level1", "dvc_account", phone="0987654321")
    add("Lê Văn Cường", "052088004321", "vneid_level2", phone="0987654321")
    add("Phạm Thị Dung", "052170001111", "vneid_level1", "vneid_level2", phone="0355555555")
    add("Hồ Văn Em", "052205002222", "vneid_level2", "dvc_account", phone="0366666666")
    # The first citizen again, later, for one more service: one citizen, one more service.
    add("Nguyễn Văn An", "052090001234", "dvc_transaction")
    # Someone helped last year counts in all, not today.
    add("Đỗ Thị Giang", "052192003333", "vneid_level1", phone="0377777777", at="14/12/2025 09:30")
    helped = cli("status", "--json").json()["helped"]
    assert helped == {
        "citizens_today": 5,
        "services_today": 10,
        "citizens_total": 6,
        "services_total": 11,
    }
    text = cli("status").stdout
    assert "Đã hỗ trợ hôm nay: 5 người, 10 dịch vụ  Tất cả: 6 người, 11 dịch vụ" in text
    english = cli("status", lang="en").stdout
    assert "Helped today: 5 citizens, 10 services  In all: 6 citizens, 11 services" in english
