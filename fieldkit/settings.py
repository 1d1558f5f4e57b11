"""The laptop's settings: environment variables prefixed FIELDKIT_ (e.g. FIELDKIT_HOME)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """The platform's user data directory for fieldkit."""
    return Path(platformdirs.user_data_dir("fieldkit"))


MASK_AFTER_MINUTES = 15
"""The default of FIELDKIT_MASK_AFTER_MINUTES (the sync engine's default too)."""


class ClientSettings(BaseSettings):
    """Everything a volunteer's install can be told from the environment."""

    model_config = SettingsConfigDict(env_prefix="FIELDKIT_", env_nested_delimiter="__")

    home: Path = Field(default_factory=default_home)
    """Where profiles live (FIELDKIT_HOME): one SQLite file per enrolled volunteer."""

    profile: str | None = None
    """The profile to open (FIELDKIT_PROFILE); None means the only or the last used one."""

    lang: Literal["vi", "en"] = "vi"
    """The language users see (FIELDKIT_LANG): Vietnamese by default, English as an option."""

    retention_days: int = Field(default=90, ge=1, le=3650)
    """Days after which synced entries lose their personal data on this laptop (counts stay)."""

    mask_after_minutes: int = Field(default=MASK_AFTER_MINUTES, ge=0, le=10080)
    """Minutes an acknowledged entry keeps its full identity number (FIELDKIT_MASK_AFTER_MINUTES).

    The number is masked at the first sync at least this long after the acknowledgement that
    finds the server in the same epoch; until then a server restored from backup can be sent
    the entry again (see fieldkit.store.privacy). Lists always show it masked.
    """

    @property
    def mask_after(self) -> timedelta:
        """mask_after_minutes as a duration."""
        return timedelta(minutes=self.mask_after_minutes)

    idle_lock_minutes: int = Field(default=10, ge=1, le=1440)
    """Minutes of inactivity after which the TUI asks for the PIN again."""

    sync_batch_size: int = Field(default=500, ge=1, le=1000)
    """How many outbox rows one push request carries."""

    sync_max_attempts: int = Field(default=6, ge=1, le=20)
    """How many times one sync request is sent when its outcome stays unknown (timeouts, 5xx)."""

    http_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """Timeout of one HTTP request to the sync server."""


def get_settings(**overrides: Any) -> ClientSettings:
    """Read settings from the environment, with explicit overrides winning."""
    return ClientSettings(**overrides)
