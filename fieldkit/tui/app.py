"""The volunteers' app: unlock a profile, record citizens, sync in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import BindingType
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from fieldkit.domain.catalogue import ServiceInfo
from fieldkit.errors import UserError
from fieldkit.profile_files import profile_names
from fieldkit.settings import ClientSettings
from fieldkit.tui.failures import explain
from fieldkit.tui.i18n import both, tr
from fieldkit.tui.long_lived import keep_out_of_gc_scans
from fieldkit.tui.messages import (
    ConnectionChecked,
    EntriesChanged,
    LockLifted,
    ProfileOpened,
    StatusLoaded,
    StatusNote,
    SyncFinished,
    SyncOutcome,
    SyncProgressed,
)
from fieldkit.tui.opened import OpenedAhead
from fieldkit.tui.screens.base import key, localise_bindings
from fieldkit.tui.screens.unlock import ProfileChoice

# The store (SQLAlchemy) and sync (httpx) load in worker threads, so the first screen shows fast.
if TYPE_CHECKING:
    from fieldkit.store import Store, StoreStatus
    from fieldkit.tui.shared import Shared

Clock = Callable[[], datetime]


class FieldkitApp(App[None]):
    """The volunteers' terminal app; settings, home and clock are injected for tests."""

    CSS_PATH = "app.tcss"
    TITLE = "fieldkit"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        key("f2", "toggle_language", "language"),
        key("f5", "sync", "sync"),
        key("f9", "lock", "lock"),
        key("ctrl+q", "quit", "quit"),
    ]

    ui_lang: reactive[str] = reactive("vi")
    """The language users see: 'vi' (default) or 'en'."""
    online: reactive[bool | None] = reactive(None)
    """Whether the server answered the last health check (None: not checked yet)."""
    status: reactive[StoreStatus | None] = reactive(None, always_update=True)
    """The open profile's counts and quota progress."""
    today: reactive[int] = reactive(0)
    """Citizens helped today."""
    sync_note: reactive[tuple[str, str]] = reactive(("", ""))
    """What the running or last sync said, in Vietnamese and English."""
    syncing: reactive[bool] = reactive(False)
    """Whether a sync is running."""

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        home: Path | None = None,
        store: Store | None = None,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        check_seconds: float = 20.0,
        on_exit: Callable[[], None] | None = None,
        notice: tuple[str, str] | None = None,
        notice_warning: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings or ClientSettings()
        self.home = home or self.settings.home
        self.store: Store | None = store
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.monotonic = monotonic
        self.check_seconds = check_seconds
        self.last_activity = monotonic()
        self.locked = False
        self.quit_after_sync = False
        self.services: list[ServiceInfo] = []
        self._on_exit = on_exit
        self._notice = notice
        self._notice_warning = notice_warning
        self.ahead = OpenedAhead()
        """The preselected profile's store, opened by the unlock screen ahead of its PIN."""
        self.set_reactive(FieldkitApp.ui_lang, self.settings.lang)

    # -- start-up -------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Open the right first screen and start the background checks."""
        localise_bindings(self, self.ui_lang)
        self.title = tr("app.title", self.ui_lang)
        keep_out_of_gc_scans()  # Textual, its styles and the app live until the end
        if self.store is not None:
            self.mask_overdue()
            self.open_home()
            if self._notice is not None:
                self.show_notice(self._notice, warning=self._notice_warning)
        else:
            self.find_profiles()
        self.set_interval(self.check_seconds, self.check_connection)
        self.set_interval(5.0, self.lock_if_idle)

    @work(thread=True, exclusive=True, exit_on_error=False, group="privacy")
    def mask_overdue(self) -> None:
        """At start (a given, unlocked or enrolled profile): mask numbers kept past their limit.

        A worker: with 100,000 entries the search reads every entry, and home need not wait
        for it (it shows no identity number).
        """
        store = self.store
        if store is not None:
            store.mask_overdue(self.settings.mask_after, self.settings.retention_days)

    @work(thread=True, exclusive=True, exit_on_error=False, group="profiles")
    def find_profiles(self) -> None:
        """List the profiles on this laptop, then ask for a PIN or offer enrolment."""
        names = profile_names(self.home)
        last = self._last_used()
        names = [n for n in names if n == last] + [n for n in names if n != last]
        self.call_from_thread(self._show_first_screen, [ProfileChoice(n, n) for n in names])

    def _last_used(self) -> str | None:
        try:
            return (self.home / "last_profile").read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def _show_first_screen(self, profiles: list[ProfileChoice]) -> None:
        from fieldkit.tui.screens.unlock import UnlockScreen
        from fieldkit.tui.screens.welcome import WelcomeScreen

        if profiles:
            # The unlock screen starts find_user_names once its PIN field shows: loading
            # SQLAlchemy holds the interpreter a while and must not delay the first screen.
            self.push_screen(UnlockScreen(profiles, ahead=self.ahead))
        else:
            self.push_screen(WelcomeScreen())

    def open_home(self, loaded: StatusLoaded | None = None) -> None:
        """Show the home screen of the open profile, dropping every other screen.

        `loaded`: home's figures, when they were read while the PIN was checked.
        """
        from fieldkit.tui.screens.home import HomeScreen

        if loaded is not None:
            self._status_loaded(loaded)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(HomeScreen())
        if loaded is None:
            self.refresh_status()
        self.check_connection()

    def use_store(self, store: Store, loaded: StatusLoaded | None = None) -> None:
        """Make a freshly unlocked or enrolled profile the open one."""
        if self.store is not None and self.store is not store:
            self.store.close()
        self.ahead.drop()
        self.store = store
        keep_out_of_gc_scans()  # SQLAlchemy, the store and the screens loaded meanwhile
        self.mask_overdue()
        self.locked = False
        self.last_activity = self.monotonic()
        self.open_home(loaded)

    # -- idle lock ------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Note every key press and click as activity for the idle lock."""
        if isinstance(event, events.Key | events.MouseDown):
            self.last_activity = self.monotonic()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        """Lock when nobody touched the laptop for the configured minutes."""
        idle = self.monotonic() - self.last_activity
        if self.store is not None and idle >= self.settings.idle_lock_minutes * 60:
            self.action_lock(idle=True)

    def action_lock(self, idle: bool = False) -> None:
        """Hide everything behind the PIN screen of the open profile (F9, or when idle)."""
        from fieldkit.tui.screens.unlock import UnlockScreen

        if self.store is None or self.locked:
            return
        self.locked = True
        self.push_screen(UnlockScreen([], locked=self.store, idle=idle))

    @on(ProfileOpened)
    def _profile_opened(self, message: ProfileOpened) -> None:
        if message.on_exit is not None:
            self._on_exit = message.on_exit
        self.use_store(message.store, message.loaded)
        if message.notice is not None:
            self.show_notice(message.notice, warning=message.warning)

    @on(LockLifted)
    def unlocked(self) -> None:
        """The PIN was right: back to where the volunteer was."""
        self.locked = False
        self.last_activity = self.monotonic()
        self.pop_screen()

    # -- language -------------------------------------------------------------------------

    def action_toggle_language(self) -> None:
        """Switch between Vietnamese and English."""
        self.ui_lang = "en" if self.ui_lang == "vi" else "vi"

    def watch_ui_lang(self, lang: str) -> None:
        """Relabel the app's own bindings and title."""
        localise_bindings(self, lang)
        self.title = tr("app.title", lang)
        self.refresh_bindings()

    # -- status ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    def refresh_status(self) -> None:
        """Read counts and quota progress off the UI thread."""
        store = self.store
        if store is None:
            return
        self.post_message(StatusLoaded.read(store))

    @on(StatusLoaded)
    def _status_loaded(self, message: StatusLoaded) -> None:
        self.services = message.services
        self.status = message.status
        self.today = message.today

    @on(StatusNote)
    def _status_note(self, message: StatusNote) -> None:
        self.sync_note = message.texts

    @on(EntriesChanged)
    def _entries_changed(self) -> None:
        self.refresh_status()
        if self.online:
            self.action_sync()

    # -- connection and sync --------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="connection")
    def check_connection(self) -> None:
        """Ask the server's health check whether it is reachable."""
        from fieldkit.sync import reachable

        store = self.store
        if store is None:
            return
        self.post_message(ConnectionChecked(reachable(store.profile.server_url)))

    @on(ConnectionChecked)
    def _connection_checked(self, message: ConnectionChecked) -> None:
        was = self.online
        self.online = message.online
        pending = self.status is not None and self.status.pending > 0
        if message.online and (not was or pending):
            self.action_sync()  # back online (pull news) or something waits to be sent
        elif not message.online and was is not False and not self.syncing:
            # "Sync done: sent 1" beside OFFLINE and entries waiting read as if they were sent.
            self.sync_note = both("sync.offline")

    def action_sync(self) -> None:
        """Sync now (F5), unless a sync is already running."""
        if self.store is None or self.locked or self.syncing:
            return
        self.syncing = True
        self.sync_note = both("sync.running")
        self.run_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def run_sync(self) -> None:
        """Push the outbox and pull changes; report progress and the outcome as messages."""
        from fieldkit.sync import SyncError, reachable, sync_now

        store = self.store
        if store is None:
            return
        if not reachable(store.profile.server_url):
            # Nothing was sent, so nothing is unknown: offline now, not after the retries.
            error = SyncError("unreachable", detail=store.profile.server_url)
            store.record_sync(error.message(store.profile.lang))
            raise error

        def progress(done: int, total: int) -> None:
            self.post_message(SyncProgressed(done, total))

        # A SyncError reaches _worker_failed; the store has recorded it by then.
        report = sync_now(store, self.settings, progress=progress)
        texts = both("sync.done", pushed=report.pushed, pulled=report.pulled)
        if report.rejected or report.duplicates:
            texts = (report.summary("vi"), report.summary("en"))
        if report.key_refused:  # says it after every sync until someone acts on it
            texts = (report.key_note("vi", short=True), report.key_note("en", short=True))
        self.post_message(SyncFinished(SyncOutcome(ok=True, texts=texts)))

    @on(SyncProgressed)
    def _sync_progressed(self, message: SyncProgressed) -> None:
        if message.total:
            self.sync_note = both("sync.progress", done=message.done, total=message.total)

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        if self.quit_after_sync:
            self.quit_after_sync = False
            if message.outcome.ok:
                self.exit()
                return
        # Said on the status line of every screen (home's sync line): a toast would cover
        # the form's consent and note rows at 80x24.
        self.sync_note = message.outcome.texts
        if message.outcome.ok:
            self.online = True
        self.refresh_status()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place where background failures become plain-language messages."""
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        self.log.error(f"worker {event.worker.name} failed: {error!r}")
        text = explain(error, self.ui_lang)
        if event.worker.group == "sync":
            texts = (explain(error, "vi"), explain(error, "en"))
            if isinstance(error, UserError) and error.server_unreachable:
                self.online = False
                texts = both("sync.offline")
            self.post_message(SyncFinished(SyncOutcome(ok=False, texts=texts)))
        elif event.worker.group == "connection":
            self.online = False
        elif event.worker.group == "demo":
            text = tr("error.demo", self.ui_lang, detail=text)
            self.notify(text, severity="error", timeout=15, markup=False)
        else:
            self.notify(text, severity="error", timeout=8, markup=False)

    # -- notices -------------------------------------------------------------------------

    def show_notice(self, texts: tuple[str, str], *, warning: bool = False) -> None:
        """A message given in Vietnamese and English, shown in the current language."""
        vi, en = texts
        text = en if self.ui_lang == "en" else vi
        if warning:
            self.notify(text, severity="warning", timeout=15, markup=False)
        else:
            self.notify(text, timeout=8, markup=False)

    # -- exit -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit (Ctrl+Q); with entries not yet sent, say so first and offer to sync."""
        from fieldkit.tui.screens.leaving import Leaving, LeavingScreen

        store = self.store
        unsent = store.unsent() if store is not None and not self.locked else None
        if unsent is None or not unsent.services:
            self.exit()
            return

        def answered(answer: Leaving | None) -> None:
            if answer == "quit":
                self.exit()
            elif answer == "sync":
                self.quit_after_sync = True
                self.action_sync()

        self.push_screen(LeavingScreen(unsent.citizens, unsent.services), answered)

    def on_unmount(self) -> None:
        """Close the store and stop a demo server."""
        if self.store is not None:
            self.store.close()
        self.ahead.drop()
        if self._on_exit is not None:
            self._on_exit()


if TYPE_CHECKING:
    # mypy checks that the app offers screens everything fieldkit.tui.shared.Shared promises.
    _SHARES: Shared = FieldkitApp()


def run_app(settings: ClientSettings | None = None) -> None:
    """Run the app in this terminal (what `fieldkit` with no subcommand does)."""
    FieldkitApp(settings).run()
