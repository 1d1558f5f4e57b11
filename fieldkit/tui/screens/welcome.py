"""First run: enroll this laptop or try the demo."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, Vertical
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from fieldkit.tui.failures import explain
from fieldkit.tui.i18n import tr
from fieldkit.tui.messages import ProfileOpened
from fieldkit.tui.screens.base import FieldkitScreen, key


class WelcomeScreen(FieldkitScreen):
    """No volunteer on this laptop yet: E to enroll, D for the demo."""

    BINDINGS: ClassVar[list[BindingType]] = [key("e", "enroll", "enroll"), key("d", "demo", "demo")]

    def compose(self) -> ComposeResult:
        """A short explanation between the header and the footer."""
        yield Header()
        with Center(), Vertical(id="welcome-box", classes="box"):
            yield Static(id="welcome-title", classes="title")
            yield Static(id="welcome-body")
            yield Static(id="welcome-busy", classes="busy")
        yield Footer(compact=True)

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.query_one("#welcome-title", Static).update(tr("welcome.title", lang))
        self.query_one("#welcome-body", Static).update(tr("welcome.body", lang))

    def action_enroll(self) -> None:
        """Open the enrollment form."""
        from fieldkit.tui.screens.enroll import EnrollScreen

        self.app.push_screen(EnrollScreen())

    def action_demo(self) -> None:
        """Start the demo server and enroll a demo volunteer (in a worker)."""
        self.query_one("#welcome-busy", Static).update(tr("demo.working", self.lang))
        self.run_demo_setup()

    @work(thread=True, exclusive=True, exit_on_error=False, group="demo")
    def run_demo_setup(self) -> None:
        """The demo's slow part: server subprocess, seeding, enrollment, profile."""
        from fieldkit.demo import start_demo

        demo = start_demo(self.shared.home)
        opened = ProfileOpened(
            demo.store, notice=demo.notice, warning=not demo.reused, on_exit=demo.stop
        )
        self.app.post_message(opened)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Say on this screen why the demo could not start."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            text = tr("error.demo", self.lang, detail=explain(event.worker.error, self.lang))
            self.query_one("#welcome-busy", Static).update(text)
