"""Messages that carry results and requests up to the app; only the app acts on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from fieldkit.domain.catalogue import ServiceInfo

if TYPE_CHECKING:
    from fieldkit.store import Store, StoreStatus

# Screens post the messages below and never call the app: they bubble up to it, and only
# the app acts on them (fieldkit.tui.shared says what screens may read instead).


class StatusLoaded(Message):
    """The open store's counts and quota progress were read."""

    def __init__(self, status: StoreStatus, today: int, services: list[ServiceInfo]) -> None:
        self.status = status
        self.today = today
        self.services = services
        super().__init__()

    @classmethod
    def read(cls, store: Store) -> StatusLoaded:
        """Read what home shows, off the UI thread: counts, citizens helped today, catalogue."""
        status = store.status()
        return cls(status, status.helped.citizens_today, store.services())


class ConnectionChecked(Message):
    """The server answered (or not) its health check."""

    def __init__(self, online: bool) -> None:
        self.online = online
        super().__init__()


class SyncProgressed(Message):
    """One more batch was pushed or page pulled."""

    def __init__(self, done: int, total: int) -> None:
        self.done = done
        self.total = total
        super().__init__()


@dataclass
class SyncOutcome:
    """What one sync did, in words the volunteer can read."""

    ok: bool
    texts: tuple[str, str]

    def text(self, lang: str) -> str:
        """The text in the user's language."""
        return self.texts[1] if lang == "en" else self.texts[0]


class SyncFinished(Message):
    """A sync ended, well or not (the text says what happened, never a traceback)."""

    def __init__(self, outcome: SyncOutcome) -> None:
        self.outcome = outcome
        super().__init__()


class EntriesChanged(Message):
    """Entries were saved or fixed: counts must be re-read and a sync may start."""


class StatusNote(Message):
    """A line for the status line of every screen, in Vietnamese and English."""

    def __init__(self, texts: tuple[str, str]) -> None:
        self.texts = texts
        super().__init__()


class ProfileOpened(Message):
    """A profile was unlocked, enrolled or set up for the demo: it becomes the open one.

    `loaded`: home's figures, when they were read while the PIN was checked; `notice`: a
    text to show once home is up (Vietnamese, English), a warning if `warning`; `on_exit`:
    what to stop when the app ends (the demo's server).
    """

    def __init__(
        self,
        store: Store,
        loaded: StatusLoaded | None = None,
        *,
        notice: tuple[str, str] | None = None,
        warning: bool = False,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.loaded = loaded
        self.notice = notice
        self.warning = warning
        self.on_exit = on_exit
        super().__init__()


class LockLifted(Message):
    """The locked profile's PIN was right: back to where the volunteer was."""
