"""What every fieldkit screen shares: the app's language and translated key bindings."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, cast

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from fieldkit.tui.i18n import tr

if TYPE_CHECKING:
    from fieldkit.tui.shared import Shared


def localise_bindings(node: DOMNode, lang: str) -> None:
    """Translate the footer text of a node's bindings (descriptions come from 'key.<id>')."""
    bindings = node._bindings.key_to_bindings
    for key, items in bindings.items():
        bindings[key] = [
            dataclasses.replace(
                b,
                description=tr(f"key.{b.id}", lang),
                tooltip=tr(f"key.{b.id}", lang),
            )
            if b.id
            else b
            for b in items
        ]


class LanguageMixin:
    """Screens that follow the app's language: they implement apply_language(lang)."""

    @property
    def shared(self) -> Shared:
        """What the screen may read of the app (to make it act, post a message)."""
        return cast("Shared", cast(Screen[Any], self).app)

    @property
    def lang(self) -> str:
        """The language users see now: 'vi' or 'en'."""
        return self.shared.ui_lang

    def apply_language(self, lang: str) -> None:
        """Relabel the screen's widgets (override)."""

    def _language_changed(self, lang: str) -> None:
        screen = cast(Screen[Any], self)
        localise_bindings(screen, lang)
        self.apply_language(lang)
        screen.refresh_bindings()

    def follow_language(self) -> None:
        """Relabel now and whenever the language changes."""
        screen = cast(Screen[Any], self)
        screen.watch(screen.app, "ui_lang", self._language_changed)


class FieldkitScreen(LanguageMixin, Screen[None]):
    """A full screen that follows the app's language."""

    def on_mount(self) -> None:
        """Start following the language."""
        self.follow_language()


class FieldkitModal(LanguageMixin, ModalScreen[bool]):
    """A modal dialog that follows the app's language and answers yes or no."""

    def on_mount(self) -> None:
        """Start following the language."""
        self.follow_language()


# Tab moves focus before the next typed character lands (a non-priority binding would only
# run after the keys already queued for the focused input, so fast typists lose fields).
FOCUS_KEYS: list[Binding] = [
    Binding("tab", "app.focus_next", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", show=False, priority=True),
]


def key(
    keys: str, action: str, binding_id: str, *, show: bool = True, priority: bool = False
) -> Binding:
    """A binding whose footer text comes from the catalogue ('key.<id>')."""
    return Binding(
        keys,
        action,
        tr(f"key.{binding_id}", "vi"),
        show=show,
        priority=priority,
        id=binding_id,
        tooltip=tr(f"key.{binding_id}", "vi"),
    )
