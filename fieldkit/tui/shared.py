"""What screens may read of the app: attributes down; they ask it to act with messages up.

Screens never import fieldkit.tui.app (an import-linter contract holds it). They read the
app's state through this protocol and post the messages of fieldkit.tui.messages, which
the app handles; FieldkitApp is checked against the protocol by mypy (fieldkit.tui.app).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from fieldkit.domain.catalogue import ServiceInfo
from fieldkit.settings import ClientSettings

if TYPE_CHECKING:
    from fieldkit.store import Store, StoreStatus


class Shared(Protocol):
    """The app's state every screen may read (never write)."""

    @property
    def ui_lang(self) -> str:
        """'vi' (default) or 'en'."""

    @property
    def store(self) -> Store | None:
        """The open profile's store (None before a PIN is right)."""

    @property
    def services(self) -> list[ServiceInfo]:
        """The catalogue's services, as last read from the store."""

    @property
    def status(self) -> StoreStatus | None:
        """The open profile's counts and quota progress."""

    @property
    def online(self) -> bool | None:
        """Whether the server answered the last health check."""

    @property
    def sync_note(self) -> tuple[str, str]:
        """What the running or last sync said, in Vietnamese and English."""

    @property
    def settings(self) -> ClientSettings:
        """The laptop's settings."""

    @property
    def home(self) -> Path:
        """Where profiles live ($FIELDKIT_HOME)."""

    @property
    def clock(self) -> Callable[[], datetime]:
        """Now, in UTC (injected by tests)."""
