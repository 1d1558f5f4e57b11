"""Ask before leaving a form with unsaved typing (Esc stays, D discards)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from fieldkit.tui.i18n import tr
from fieldkit.tui.screens.base import FieldkitModal, key


class DiscardScreen(FieldkitModal):
    """Dismisses with True only when the volunteer chooses to throw the typing away.

    Esc and Enter both keep the form: Esc is what a hurried volunteer presses twice, so the
    second one must not be the one that loses a citizen's details.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        key("escape", "stay", "stay"),
        key("enter", "stay", "stay", show=False),
        key("d", "discard", "discard"),
    ]

    def compose(self) -> ComposeResult:
        """A box in the middle of the screen."""
        with Vertical(id="discard-box", classes="dialog"):
            yield Static(id="discard-title", classes="title")
            yield Static(id="discard-body", classes="muted")
        yield Footer(compact=True)

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.query_one("#discard-title", Static).update(tr("discard.title", lang))
        self.query_one("#discard-body", Static).update(tr("discard.body", lang))

    def action_stay(self) -> None:
        """Back to the form, everything as typed."""
        self.dismiss(False)

    def action_discard(self) -> None:
        """Leave the form without saving."""
        self.dismiss(True)
