"""Server settings: environment variables, explicit overrides and the default database."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_server.settings import get_settings


def test_defaults_put_the_database_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SYNC_SERVER_DATABASE_URL", raising=False)
    monkeypatch.setenv("SYNC_SERVER_DATA_DIR", str(tmp_path))
    settings = get_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'sync-server.sqlite3'}"
    assert settings.max_body_bytes == 5_000_000
    assert settings.secret_key is None


def test_environment_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNC_SERVER_DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("SYNC_SERVER_SECRET_KEY", "s3cret")
    settings = get_settings()
    assert settings.database_url == "postgresql://db/x"
    assert settings.secret_key == "s3cret"
    assert get_settings(database_url="sqlite:///other.sqlite3").database_url.endswith(
        "other.sqlite3"
    )
    with pytest.raises(ValueError):
        get_settings(max_body_bytes="lots")
