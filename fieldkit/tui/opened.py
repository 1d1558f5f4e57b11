"""A profile's store opened ahead of its PIN check, handed to that check once.

The unlock screen opens the preselected profile while the volunteer types the PIN, so the
check need not open it again. Nothing of it is shown until the PIN is right. The app owns one
of these and passes it down to each unlock screen (no Textual here).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldkit.store import Store


class OpenedAhead:
    """At most one store, held under a lock for the worker threads that open and take it."""

    def __init__(self) -> None:
        self._held: tuple[str, Store] | None = None
        self._lock = threading.Lock()

    def keep(self, name: str, store: Store) -> None:
        """Hold this profile's store (closing one held before)."""
        with self._lock:
            earlier, self._held = self._held, (name, store)
        if earlier is not None and earlier[1] is not store:
            earlier[1].close()

    def take(self, name: str | None) -> Store | None:
        """The store held for this profile, handed over once (else None)."""
        with self._lock:
            if self._held is None or self._held[0] != name:
                return None
            store, self._held = self._held[1], None
        return store

    def drop(self) -> None:
        """Close whatever is held (a profile was opened, or the app ends)."""
        with self._lock:
            earlier, self._held = self._held, None
        if earlier is not None:
            earlier[1].close()
