"""Ask the volunteer to confirm warnings before saving (Enter saves, Esc goes back)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from fieldkit.domain import Problem
from fieldkit.tui.i18n import tr
from fieldkit.tui.screens.base import FieldkitModal, key
from fieldkit.tui.widgets.problem_list import problem_line


class WarningsScreen(FieldkitModal):
    """The warnings, one per line; dismisses with True to save anyway."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("enter", "confirm", "confirm"),
        key("escape", "cancel", "cancel"),
    ]

    def __init__(self, warnings: list[Problem]) -> None:
        super().__init__()
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        """A box in the middle of the screen."""
        with Vertical(id="warnings-box", classes="dialog"):
            yield Static(id="warnings-title", classes="title")
            yield Static(id="warnings-list")
            yield Static(id="warnings-body", classes="muted")
        yield Footer(compact=True)

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.query_one("#warnings-title", Static).update(tr("warn.title", lang))
        text = Text()
        for problem in self.warnings:
            if text:
                text.append("\n")
            text.append("! " + problem_line(problem, lang), style="yellow")
        self.query_one("#warnings-list", Static).update(text)
        self.query_one("#warnings-body", Static).update(tr("warn.body", lang))

    def action_confirm(self) -> None:
        """Save anyway."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Back to the form."""
        self.dismiss(False)
