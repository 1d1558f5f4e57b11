"""Ask before quitting with entries not yet sent: they are safe, but a sync first is offered."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from fieldkit.domain.formatting import format_citizens, format_services
from fieldkit.tui.i18n import tr
from fieldkit.tui.screens.base import LanguageMixin, key

Leaving = Literal["sync", "quit", "stay"]


class LeavingScreen(LanguageMixin, ModalScreen[Leaving]):
    """Says for how many citizens something waits to be sent; S (or Enter) syncs then quits,
    Q quits, Esc stays."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("s", "answer('sync')", "sync_quit"),
        key("enter", "answer('sync')", "sync_quit", show=False),
        key("q", "answer('quit')", "quit_now"),
        key("ctrl+q", "answer('quit')", "quit_now", show=False, priority=True),
        key("escape", "answer('stay')", "stay"),
    ]

    def __init__(self, citizens: int, services: int) -> None:
        super().__init__()
        self.citizens = citizens
        self.services = services

    def compose(self) -> ComposeResult:
        """A box in the middle of the screen."""
        with Vertical(id="leaving-box", classes="dialog"):
            yield Static(id="leaving-title", classes="title")
            yield Static(id="leaving-body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Start following the language."""
        self.follow_language()

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.query_one("#leaving-title", Static).update(tr("leaving.title", lang))
        body = tr(
            "leaving.body",
            lang,
            citizens=format_citizens(self.citizens, lang),
            services=format_services(self.services, lang),
        )
        self.query_one("#leaving-body", Static).update(body)

    def action_answer(self, answer: Leaving) -> None:
        """Sync then quit, quit now, or stay."""
        self.dismiss(answer)
