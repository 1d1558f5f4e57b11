"""The server's settings, read from SYNC_SERVER_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "sync-server"
LATE_ENTRY_DAYS = 90
"""Default of late_entry_days: the laptop's own retention period, after which it should have
erased the person's data rather than still be sending it."""


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

    threads: int = Field(default=40, ge=2, le=1000)
    """Threads per server process for requests other than pushes (AnyIO's limiter)."""

    push_threads: int = Field(default=4, ge=1, le=100)
    """Threads per server process for pushes: more only queue on the writers' lock."""

    push_queue: int = Field(default=100, ge=0)
    """Pushes per process that may wait for a push thread; beyond that a push gets 503."""

    max_connections: int = Field(default=1000, ge=1)
    """Open connections per process; a request beyond it is answered 503 (uvicorn's
    limit_concurrency)."""

    max_header_bytes: int = Field(default=16_384, ge=1024)
    """Largest request line plus headers; a longer one is answered 431 and the connection
    closed."""

    header_timeout: float = Field(default=10.0, gt=0)
    """Seconds a client has to send a request's line and headers, from connecting (or from
    the request's first byte on a kept-alive connection)."""

    body_timeout: float = Field(default=60.0, gt=0)
    """Seconds a client has to send a whole request body; a slower one is answered 408."""

    keep_alive_timeout: int = Field(default=10, ge=1)
    """Seconds an idle kept-alive connection stays open: longer than clients keep idle ones
    (httpx: 5 s), so a client never sends on a connection the server is just closing."""

    late_entry_days: int = Field(default=LATE_ENTRY_DAYS, ge=1, le=3650)
    """Days after its time of help a new entry may reach the server; a later one is stored and
    counted but waits for review with the reason (the default is the laptop's retention)."""

    enroll_code_days: int = Field(default=7, ge=1, le=365)
    """Days an enrollment code stays valid after `user add` prints it."""

    lockout_after: int = Field(default=5, ge=1, le=1000)
    """Failed sign-ins in a row after which an account is locked."""

    lockout_seconds: int = Field(default=60, ge=1, le=86_400)
    """The first lock's length; each further failure doubles it, up to lockout_max_seconds."""

    lockout_max_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)
    """The longest an account stays locked after one failure."""

    address_failures: int = Field(default=20, ge=1, le=100_000)
    """Failed sign-ins and enrollment codes one client address may send per address window."""

    address_window_seconds: int = Field(default=600, ge=1, le=86_400)
    """The window of address_failures; an address over the limit waits until it ends."""

    @property
    def pool_size(self) -> int:
        """Database connections per process: one per thread that may hold one (requests,
        pushes, the health check) and the checkpointer's and a spare, so a thread never waits
        for a connection held by a request that waits for a thread."""
        return self.threads + self.push_threads + 3

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
