"""Home: today's work, the sync state and the village's quota progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from fieldkit.domain.catalogue import service_label
from fieldkit.domain.formatting import (
    format_datetime,
    format_helped,
    format_number,
    format_progress,
)
from fieldkit.tui.i18n import tr
from fieldkit.tui.screens.base import FieldkitScreen, key
from fieldkit.tui.widgets.connection_badge import ConnectionBadge
from fieldkit.tui.widgets.quota_bar import QuotaBar

if TYPE_CHECKING:
    from fieldkit.store import StoreStatus, VillageProgress


def counts_line(status: StoreStatus | None, lang: str) -> str:
    """People helped today and in all, then the queue.

    'Hôm nay: 5 người, 9 dịch vụ  ·  Tất cả: …' over
    'Chờ đồng bộ: 3  ·  Bị trả lại, cần sửa: 1  ·  Trùng: 0'.
    """
    if status is None:
        return tr("home.loading", lang)
    helped = status.helped
    today = format_helped(helped.citizens_today, helped.services_today, lang)
    total = format_helped(helped.citizens_total, helped.services_total, lang)
    people = f"{tr('home.today', lang)}: {today}  ·  {tr('home.all', lang)}: {total}"
    parts = [
        (tr("home.pending", lang), status.pending),
        (tr("home.rejected", lang), status.rejected),
        (tr("home.duplicates", lang), status.duplicates),
    ]
    queue = "  ·  ".join(f"{label}: {format_number(n, lang)}" for label, n in parts)
    return f"{people}\n{queue}"


def last_sync_line(status: StoreStatus | None, lang: str) -> str:
    """When the last sync finished, or never."""
    when = tr("home.never", lang)
    if status is not None and status.last_sync_at is not None:
        when = format_datetime(status.last_sync_at)
    return f"{tr('home.last_sync', lang)}: {when}"


def bar_labels(
    rows: list[VillageProgress], lang: str, *, several: bool, short: bool = False
) -> list[str]:
    """Each quota bar's label: the service (its short name), after the village if several."""
    labels = [service_label(row.service, lang, short=short) for row in rows]
    if several:
        labels = [f"{r.village_name or r.village} · {x}" for r, x in zip(rows, labels, strict=True)]
    return labels


class HomeScreen(FieldkitScreen):
    """What a volunteer sees after unlocking: counts, connection and quota bars."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("n", "new_entry", "new_entry"),
        key("l", "entries", "entries"),
    ]

    def compose(self) -> ComposeResult:
        """Who and where, counts, sync line, quota bars."""
        yield Header()
        with Horizontal(id="home-top"):
            yield Static(id="who")
            yield ConnectionBadge(id="badge")
        yield Static(id="counts", classes="counts")
        with Horizontal(id="sync-line"):
            yield Static(id="last-sync")
            yield Static(id="sync-text")
        yield Static(id="quota-title", classes="title")
        yield VerticalScroll(id="quota-bars")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Follow the app's state (attributes down)."""
        for name, show in (
            ("status", self._show_status),
            ("today", self._show_status),
            ("online", self._show_online),
            ("sync_note", self._show_sync_text),
        ):
            self.watch(self.app, name, show)

    def apply_language(self, lang: str) -> None:
        """Relabel everything."""
        self.query_one(ConnectionBadge).lang = lang
        self._show_status()
        self._show_sync_text()

    def _show_online(self) -> None:
        self.query_one(ConnectionBadge).online = self.shared.online

    def _show_sync_text(self) -> None:
        vi, en = self.shared.sync_note
        self.query_one("#sync-text", Static).update(en if self.lang == "en" else vi)

    def _show_status(self) -> None:
        app = self.shared
        lang = app.ui_lang
        status = app.status
        store = app.store
        if store is not None:
            profile = store.profile
            villages = ", ".join(v.name or v.code for v in profile.villages[:2])
            self.query_one("#who", Static).update(f"{profile.user_name}  ·  {villages}")
        self.query_one("#counts", Static).update(counts_line(status, lang))
        self.query_one("#last-sync", Static).update(last_sync_line(status, lang))
        self._show_quotas(status, lang)

    def on_resize(self) -> None:
        """Full or short labels for the new width."""
        self._show_quotas(self.shared.status, self.lang)

    def _show_quotas(self, status: StoreStatus | None, lang: str) -> None:
        bars = self.query_one("#quota-bars", VerticalScroll)
        rows = status.villages if status is not None else []
        village_names = {r.village_name or r.village for r in rows}
        title = tr("home.quota", lang)
        if len(village_names) == 1:
            title = f"{title}: {next(iter(village_names))}"
        self.query_one("#quota-title", Static).update(title)
        wanted = len(rows) or 1
        existing = list(bars.query(QuotaBar))
        if len(existing) != wanted or not rows:
            bars.remove_children()
            if not rows:
                bars.mount(Static(tr("home.no_quota", lang), classes="muted"))
                return
            existing = [QuotaBar() for _ in rows]
            bars.mount_all(existing)
        labels = bar_labels(rows, lang, several=len(village_names) > 1)
        room = (bars.size.width or self.app.size.width) // 2
        if max(len(label) for label in labels) > room:
            labels = bar_labels(rows, lang, several=len(village_names) > 1, short=True)
        width = min(room, max(len(label) for label in labels))
        numbers = max(len(format_progress(r.achieved, r.quota, lang)) for r in rows)
        for bar, row, label in zip(existing, rows, labels, strict=True):
            bar.label = label
            bar.label_width = width
            bar.numbers_width = numbers
            bar.lang = lang
            bar.quota = row.quota
            bar.achieved = row.achieved

    def action_new_entry(self) -> None:
        """Record a new citizen."""
        from fieldkit.tui.screens.entry_form import EntryFormScreen

        self.app.push_screen(EntryFormScreen())

    def action_entries(self) -> None:
        """Browse and search entries."""
        from fieldkit.tui.screens.entries import EntriesScreen

        self.app.push_screen(EntriesScreen())
