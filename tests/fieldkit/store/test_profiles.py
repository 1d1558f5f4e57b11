"""Profiles on disk: private files, the PRAGMAs (docs/architecture.md), choosing one, the PIN."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fieldkit_store_helpers import fake_enrollment, make_entry

from fieldkit.settings import get_settings
from fieldkit.store import Store, StoreError, create_profile, list_profiles, open_store
from fieldkit.store.store import SCHEMA_VERSION


def test_database_file_is_private(store: Store) -> None:
    store.save_entry(make_entry())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0


def test_pragmas_read_back(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION


def test_profile_holds_the_enrollment(store: Store) -> None:
    profile = store.profile
    assert profile.user_name == "Lê Thị Đào" and profile.name == "le-thi-dao"
    assert profile.default_village == "21001-1" and [v.code for v in profile.villages] == [
        "21001-1",
        "21001-2",
    ]
    assert store.server_epoch() == "epoch-1" and store.cursor() == 0
    store.set_default_village("21001-2")
    store.set_lang("en")
    assert store.profile.default_village == "21001-2" and store.profile.lang == "en"


def test_the_server_url_can_move_and_a_bad_one_is_refused(store: Store) -> None:
    store.set_server_url("  http://10.0.0.5:8000/ ")
    assert store.profile.server_url == "http://10.0.0.5:8000"
    for bad in ("ftp://x", "10.0.0.5:8000", "", "http://" + "x" * 600):
        with pytest.raises(StoreError) as info:
            store.set_server_url(bad)
        assert info.value.code == "profile.bad_url" and "http://" in info.value.message("vi")
    assert store.profile.server_url == "http://10.0.0.5:8000"


def test_open_store_picks_the_only_then_the_last_used_profile(home: Path) -> None:
    with pytest.raises(StoreError) as info:
        open_store(home)
    assert info.value.code == "profile.none" and "fieldkit enroll" in info.value.message("vi")
    create_profile(home, fake_enrollment("Lê Thị Đào"), "http://a").close()
    with open_store(home) as only:
        assert only.profile.user_name == "Lê Thị Đào"
    create_profile(home, fake_enrollment("Lê Thị Đào"), "http://b").close()
    names = [p.name for p in list_profiles(home)]
    assert names == ["le-thi-dao", "le-thi-dao-2"]
    with open_store(home) as last:
        assert last.profile.server_url == "http://b"
    with open_store(home, "le-thi-dao") as chosen:
        assert chosen.profile.server_url == "http://a"
    assert [p.name for p in list_profiles(home) if p.last_used] == ["le-thi-dao"]
    (home / "last_profile").write_bytes(b"\xff\xfe junk")
    with pytest.raises(StoreError) as info:
        open_store(home)
    assert info.value.code == "profile.choose" and "le-thi-dao-2" in info.value.message("en")


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "UPPER", "x" * 41, ".hidden", "tên"])
def test_hostile_profile_names_are_refused(home: Path, name: str) -> None:
    with pytest.raises(StoreError) as info:
        open_store(home, name)
    assert info.value.code == "profile.bad_name"
    with pytest.raises(StoreError):
        create_profile(home, fake_enrollment(), "http://a", name=name)
    assert not (home / "etc").exists()


def test_unknown_profile_names_the_known_ones(home: Path) -> None:
    create_profile(home, fake_enrollment(), "http://a").close()
    with pytest.raises(StoreError) as info:
        open_store(home, "someone")
    assert info.value.code == "profile.unknown" and "le-thi-dao" in info.value.message("vi")


def test_creating_an_existing_profile_fails_and_keeps_it(home: Path) -> None:
    create_profile(home, fake_enrollment(), "http://a", name="team").close()
    with pytest.raises(StoreError) as info:
        create_profile(home, fake_enrollment(), "http://b", name="team")
    assert info.value.code == "profile.exists"
    with open_store(home, "team") as kept:
        assert kept.profile.server_url == "http://a"


def test_pin_is_hashed_and_checked(home: Path) -> None:
    with create_profile(home, fake_enrollment(), "http://a", pin="2468") as store:
        pin_hash = store.profile.pin_hash
        assert pin_hash is not None and pin_hash.startswith("$argon2") and "2468" not in pin_hash
        assert store.check_pin("2468") and not store.check_pin("0000")
        with pytest.raises(StoreError) as info:
            store.set_pin("12a")
        assert info.value.code == "pin.format"
        store.set_pin(None)
        assert store.check_pin("anything")


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FIELDKIT_HOME", str(tmp_path))
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    monkeypatch.setenv("FIELDKIT_RETENTION_DAYS", "30")
    settings = get_settings()
    assert (settings.home, settings.lang, settings.retention_days) == (tmp_path, "en", 30)
    assert get_settings(lang="vi").lang == "vi"
