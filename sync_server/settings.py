"""The server's settings, read from SYNC_SERVER_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "sync-server"


def default_data_dir() -> Path:
    """The platform's user data directory for the server."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_key_file() -> Path:
    """`secret.key` in the platform's user config directory, apart from the data."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "secret.key"


class ServerSettings(BaseSettings):
    """Everything the server needs to know at start-up."""

    model_config = SettingsConfigDict(env_prefix="SYNC_SERVER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    """Where the default SQLite database and other server files live."""

    database_url: str = ""
    """SQLAlchemy URL; empty means a SQLite file in data_dir."""

    secret_key: str | None = None
    """The key behind citizen keys (HMAC); when set, the key file is not read."""

    key_file: Path = Field(default_factory=default_key_file)
    """The file holding the key (mode 0600), made by `sync-server init`; never in the database."""

    max_body_bytes: int = 5_000_000
    """Largest accepted request body (after gzip decompression)."""

    workers: int = Field(default=1, ge=1)
    """Server processes `sync-server serve` starts (uvicorn workers sharing one socket)."""

    public_url: str = ""
    """The address people open in a browser (printed by `user add`); empty: http://HOST:PORT."""

    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    """A web session unused for this long is over; the person signs in again."""

    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    """A web session ends this long after sign-in however busy it is."""

    forwarded_proto: bool = False
    """Trust X-Forwarded-Proto from a reverse proxy (set it when TLS ends at the proxy)."""

    @model_validator(mode="after")
    def _default_database(self) -> ServerSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'sync-server.sqlite3'}"
        return self

    def environ(self) -> dict[str, str | None]:
        """The SYNC_SERVER_* variables that rebuild these settings in another process.

        None means "unset this variable" (the field's default applies there too).
        """
        prefix = self.model_config.get("env_prefix", "")
        return {
            f"{prefix}{name}".upper(): None if value is None else str(value)
            for name, value in self.model_dump().items()
        }


def get_settings(**overrides: Any) -> ServerSettings:
    """Settings from the environment, with explicit overrides winning."""
    return ServerSettings(**overrides)
