"""Enroll this laptop: server address, one-time code and the volunteer's new PIN."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from fieldkit.tui.i18n import tr
from fieldkit.tui.messages import ProfileOpened
from fieldkit.tui.screens.base import FOCUS_KEYS, FieldkitScreen, key
from fieldkit.tui.widgets.form_input import FormInput

if TYPE_CHECKING:
    from fieldkit.store import Store

_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]{1,5})?(/.*)?$")
_PIN = re.compile(r"^[0-9]{4,8}$")


@dataclass(frozen=True)
class EnrollForm:
    """What the volunteer typed on the enrollment screen."""

    server_url: str
    code: str
    pin: str
    pin2: str

    def problems(self) -> list[str]:
        """Catalogue keys of what is wrong, in field order (empty when it can be sent)."""
        found: list[str] = []
        if not _URL.match(self.server_url.strip()):
            found.append("enroll.url_invalid")
        if not 4 <= len(self.code.strip()) <= 64:
            found.append("enroll.code_invalid")
        if not _PIN.match(self.pin):
            found.append("enroll.pin_invalid")
        elif self.pin != self.pin2:
            found.append("enroll.pin_mismatch")
        return found


class EnrollScreen(FieldkitScreen):
    """Exchange the coordinator's code for this laptop's token, then create the profile."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+s", "submit", "submit"),
        *FOCUS_KEYS,
        key("escape", "back", "back"),
    ]

    class Enrolled(Message):
        """The profile exists and is open."""

        def __init__(self, store: Store) -> None:
            self.store = store
            super().__init__()

    def __init__(self, server_url: str = "") -> None:
        super().__init__()
        self.initial_url = server_url

    def compose(self) -> ComposeResult:
        """Four labelled inputs and a line for problems."""
        yield Header()
        with Vertical(classes="box", id="enroll-box"):
            yield Static(id="enroll-title", classes="title")
            with Grid(id="enroll-grid", classes="form-grid"):
                yield Label(id="lbl-server")
                yield FormInput(self.initial_url, id="server", placeholder="http://…")
                yield Label(id="lbl-code")
                yield FormInput(id="code")
                yield Label(id="lbl-pin")
                yield FormInput(id="pin", password=True, restrict=r"[0-9]*", max_length=8)
                yield Label(id="lbl-pin2")
                yield FormInput(id="pin2", password=True, restrict=r"[0-9]*", max_length=8)
            yield Static(id="enroll-problems", classes="problems")
        yield Footer(compact=True)

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.query_one("#enroll-title", Static).update(tr("enroll.title", lang))
        for name, label_key in (
            ("server", "enroll.server"),
            ("code", "enroll.code"),
            ("pin", "enroll.pin"),
            ("pin2", "enroll.pin2"),
        ):
            self.query_one(f"#lbl-{name}", Label).update(tr(label_key, lang))

    def form(self) -> EnrollForm:
        """The inputs as plain data."""
        return EnrollForm(
            server_url=self.query_one("#server", Input).value,
            code=self.query_one("#code", Input).value,
            pin=self.query_one("#pin", Input).value,
            pin2=self.query_one("#pin2", Input).value,
        )

    def say(self, text: str, *, error: bool = True) -> None:
        """Show a line under the form."""
        box = self.query_one("#enroll-problems", Static)
        box.set_class(error, "-error")
        box.update(text)

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        if event.input.id == "pin2":
            self.action_submit()
        else:
            self.focus_next()

    def action_submit(self) -> None:
        """Check the form, then enroll in a worker."""
        lang = self.lang
        form = self.form()
        problems = form.problems()
        if problems:
            self.say("\n".join(tr(p, lang) for p in problems))
            return
        self.say(tr("enroll.working", lang), error=False)
        self.run_enroll(form)

    @work(thread=True, exclusive=True, exit_on_error=False, group="enroll")
    def run_enroll(self, form: EnrollForm) -> None:
        """Enroll over HTTP and create the profile's database (both are I/O)."""
        from fieldkit.enrollment import enroll_laptop

        url = form.server_url.strip().rstrip("/")
        store = enroll_laptop(
            self.shared.home, url, form.code.strip(), socket.gethostname(), pin=form.pin
        )
        self.post_message(self.Enrolled(store))

    @on(Enrolled)
    def _enrolled(self, message: Enrolled) -> None:
        name = message.store.profile.user_name
        self.app.notify(tr("enroll.done", self.lang, name=name), markup=False)
        self.app.post_message(ProfileOpened(message.store))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Explain a failed enrollment on the form itself."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            from fieldkit.tui.failures import explain

            lang = self.lang
            self.say(tr("error.enroll", lang, detail=explain(event.worker.error, lang)))

    def action_back(self) -> None:
        """Back to the previous screen."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
