"""Choose a volunteer's profile and unlock it with their PIN (also the idle lock screen)."""

from __future__ import annotations

import contextlib
import importlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import Worker, WorkerState

from fieldkit.profile_files import profile_database
from fieldkit.tui.i18n import tr
from fieldkit.tui.messages import LockLifted, ProfileOpened, StatusLoaded
from fieldkit.tui.opened import OpenedAhead
from fieldkit.tui.screens.base import FieldkitScreen, key
from fieldkit.tui.widgets.form_input import FormInput

if TYPE_CHECKING:
    from fieldkit.store import Store


@dataclass(frozen=True)
class ProfileChoice:
    """A profile as the chooser shows it: its directory name and the volunteer's name."""

    name: str
    user_name: str


class UnlockScreen(FieldkitScreen):
    """A list of the laptop's volunteers and a PIN field; nothing personal shows behind it."""

    BINDINGS: ClassVar[list[BindingType]] = [key("ctrl+n", "add_profile", "add_profile")]

    class WrongPin(Message):
        """The PIN was wrong."""

    def __init__(
        self,
        profiles: list[ProfileChoice],
        *,
        locked: Store | None = None,
        idle: bool = False,
        ahead: OpenedAhead | None = None,
    ) -> None:
        """`ahead` holds the preselected profile's store, opened while the PIN is typed."""
        super().__init__()
        self.profiles = profiles
        self.locked_store = locked
        self.idle = idle
        self.ahead = ahead or OpenedAhead()

    def compose(self) -> ComposeResult:
        """The profile list (unless locked to one) and the PIN input."""
        yield Header()
        with Vertical(classes="box", id="unlock-box"):
            yield Static(id="unlock-title", classes="title")
            if self.locked_store is None:
                yield OptionList(
                    *[Option(p.user_name, id=p.name) for p in self.profiles], id="profiles"
                )
            else:
                yield Static(self.locked_store.profile.user_name, id="locked-name")
            yield Label(id="lbl-pin")
            yield FormInput(id="pin", password=True, restrict=r"[0-9]*", max_length=12)
            yield Static(id="unlock-message", classes="problems")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Preselect the only or the last used profile and put the cursor in the PIN."""
        if self.locked_store is None and self.profiles:
            self.query_one("#profiles", OptionList).highlighted = 0
        self.query_one("#pin", Input).focus()
        if self.locked_store is None and self.profiles:
            names = [p.name for p in self.profiles]
            # Once the PIN field shows: loading SQLAlchemy holds the interpreter a while.
            self.call_after_refresh(self.find_user_names, names)

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        title = tr("unlock.title", lang)
        if self.locked_store is not None:
            minutes = self.shared.settings.idle_lock_minutes
            title = tr("unlock.locked" if self.idle else "unlock.locked_now", lang, minutes=minutes)
        self.query_one("#unlock-title", Static).update(title)
        self.query_one("#lbl-pin", Label).update(tr("unlock.pin", lang))

    @work(thread=True, exclusive=True, exit_on_error=False, group="profile-names")
    def find_user_names(self, names: list[str]) -> None:
        """Replace directory names by the volunteers' names (opens each profile's store)."""
        from fieldkit.store import Store, StoreError
        from fieldkit.store.profiles import profile_path

        choices: list[ProfileChoice] = []
        for index, name in enumerate(names):
            store = Store(profile_path(self.shared.home, name))
            try:
                choices.append(ProfileChoice(name, store.profile.user_name))
            except StoreError:
                choices.append(ProfileChoice(name, name))
                store.close()
                continue
            if index == 0:  # the preselected profile: its PIN check need not open it again
                self.ahead.keep(name, store)
            else:
                store.close()
        self.app.call_from_thread(self.show_names, choices)
        preload()

    def show_names(self, choices: list[ProfileChoice]) -> None:
        """Show the volunteers' names instead of the profile directory names."""
        if self.locked_store is not None:
            return
        options = self.query_one("#profiles", OptionList)
        for choice in choices:
            with contextlib.suppress(OptionDoesNotExist):
                options.replace_option_prompt(choice.name, choice.user_name)

    def chosen(self) -> str | None:
        """The highlighted profile's name."""
        if self.locked_store is not None:
            return None
        options = self.query_one("#profiles", OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    @on(OptionList.OptionSelected)
    def _profile_selected(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _submit(self, event: Input.Submitted) -> None:
        self.query_one("#unlock-message", Static).update(tr("unlock.checking", self.lang))
        self.check_pin(self.chosen(), event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock")
    def check_pin(self, name: str | None, pin: str) -> None:
        """Verify the PIN (argon2 is slow on purpose) while the store opens and reads home.

        The hash is read with the standard library (fieldkit.pin), so argon2 starts at once
        and runs on one core while SQLAlchemy, the store and home's figures load on the
        other; nothing of them is shown unless the PIN is right.
        """
        if self.locked_store is not None:
            if self.locked_store.check_pin(pin):
                self.app.post_message(LockLifted())
            else:
                self.post_message(self.WrongPin())
            return
        import sqlite3

        from fieldkit.pin import stored_pin_hash, verify_pin

        with ThreadPoolExecutor(max_workers=1) as pool:
            opening = pool.submit(self._open_for_home, name)
            try:
                stored = stored_pin_hash(profile_database(self.shared.home, name)) if name else ""
            except sqlite3.Error:
                stored = ""  # the store explains what is wrong, or checks the PIN itself
            if stored == "":
                store, loaded = opening.result()
                right = store.check_pin(pin)
            else:
                right = stored is None or verify_pin(stored, pin)
                if not right and opening.exception() is not None:
                    self.post_message(self.WrongPin())
                    return
                store, loaded = opening.result()
        if right:
            self.app.post_message(ProfileOpened(store, loaded))
            return
        if name is not None:
            self.ahead.keep(name, store)  # for the next try
        else:
            store.close()
        self.post_message(self.WrongPin())

    def _open_for_home(self, name: str | None) -> tuple[Store, StatusLoaded]:
        """The profile's store (opened ahead if it was) and home's figures."""
        from fieldkit.store import open_store

        store = self.ahead.take(name) or open_store(self.shared.home, name)
        try:
            return store, StatusLoaded.read(store)
        except BaseException:
            store.close()
            raise

    @on(WrongPin)
    def _wrong(self) -> None:
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()
        self.query_one("#unlock-message", Static).update(tr("unlock.wrong", self.lang))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Explain a profile that cannot be opened."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            from fieldkit.tui.failures import explain

            text = explain(event.worker.error, self.lang)
            self.query_one("#unlock-message", Static).update(text)

    def action_add_profile(self) -> None:
        """Enroll another volunteer on this laptop."""
        from fieldkit.tui.screens.enroll import EnrollScreen

        self.app.push_screen(EnrollScreen())


def preload() -> None:
    """Import what comes after the PIN (home, entry form, sync) while the volunteer types it.

    Screens first: they are on the way to the form; sync is needed only once home shows.
    """
    for module in ("fieldkit.tui.screens.home", "fieldkit.tui.screens.entry_form", "fieldkit.sync"):
        importlib.import_module(module)
