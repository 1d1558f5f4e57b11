"""Entries: diacritic-insensitive search, filters and paging through large lists."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static, Tab, Tabs

from fieldkit.domain.formatting import format_number
from fieldkit.tui.i18n import tr
from fieldkit.tui.screens.base import FieldkitScreen, key
from fieldkit.tui.widgets.entry_table import EntryTable
from fieldkit.tui.widgets.form_input import FormInput
from fieldkit.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from fieldkit.store import EntryRow

PAGE_SIZE = 50
# fieldkit.store.EntryFilter values; plain strings so this screen loads without the store.
FILTERS = ("all", "today", "pending", "rejected", "duplicate")


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: search text, filter, page."""

    search: str = ""
    filter: str = "all"
    offset: int = 0
    limit: int = PAGE_SIZE


class EntriesScreen(FieldkitScreen):
    """A search box, filter tabs and one page of entries; Enter opens an entry."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+f", "focus_search", "search", priority=True),
        key("f4", "next_filter", "filter"),
        key("f7", "prev_page", "prev_page"),
        key("f8", "next_page", "next_page"),
        key("enter", "open", "open"),
        key("escape", "back", "back"),
    ]

    class PageLoaded(Message):
        """A page of entries and the total count for one query."""

        def __init__(self, generation: int, rows: list[EntryRow], total: int) -> None:
            self.generation = generation
            self.rows = rows
            self.total = total
            super().__init__()

    def __init__(self, initial_filter: str = "all") -> None:
        super().__init__()
        self.query_state = ListQuery(filter=initial_filter)
        self.rows: list[EntryRow] = []
        self.total = 0
        self.generation = 0
        self.loaded = False

    def compose(self) -> ComposeResult:
        """Search, filters, the table and a paging line."""
        yield Header()
        yield FormInput(id="search", compact=True, select_on_focus=False)
        yield Tabs(*[Tab("", id=f"filter-{f}") for f in FILTERS], id="filters")
        yield EntryTable(lang=self.lang, id="table")
        with Horizontal(id="page-line"):
            yield Static(id="page")
        yield StatusLine(id="status-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Select the initial filter and load the first page."""
        self.query_one(Tabs).active = f"filter-{self.query_state.filter}"
        self.query_one("#table", EntryTable).focus()
        self.load()

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.title = tr("list.title", lang)
        self.query_one("#search", Input).placeholder = tr("list.search", lang)
        for f in FILTERS:
            self.query_one(f"#filter-{f}", Tab).label = tr(f"list.filter.{f}", lang)
        table = self.query_one("#table", EntryTable)
        if table.lang != lang:
            table.relabel(lang, self.rows)
        self._show_page_line()

    # -- querying ---------------------------------------------------------------------------

    def load(self) -> None:
        """Fetch the current page in a worker; stale answers are dropped."""
        self.generation += 1
        self.fetch(self.generation, self.query_state)

    @work(thread=True, exclusive=True, exit_on_error=False, group="entries")
    def fetch(self, generation: int, wanted: ListQuery) -> None:
        """One page and the count (both read the store, off the UI thread)."""
        from fieldkit.store import EntryFilter, EntryQuery

        store = self.shared.store
        if store is None:
            return
        query = EntryQuery(
            search=wanted.search,
            filter=EntryFilter(wanted.filter),
            offset=wanted.offset,
            limit=wanted.limit,
        )
        rows = store.query_entries(query)
        total = store.count_entries(query)
        self.post_message(self.PageLoaded(generation, rows, total))

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self.generation:
            return
        self.rows = message.rows
        self.total = message.total
        self.loaded = True
        self.query_one("#table", EntryTable).show_rows(message.rows)
        self._show_page_line()

    def _show_page_line(self) -> None:
        lang = self.lang
        if not self.loaded:
            text = tr("home.loading", lang)
        elif not self.total:
            text = tr("list.empty", lang)
        else:
            first = self.query_state.offset + 1
            last = self.query_state.offset + len(self.rows)
            text = tr(
                "list.page",
                lang,
                first=format_number(first, lang),
                last=format_number(last, lang),
                total=format_number(self.total, lang),
            )
        self.query_one("#page", Static).update(text)

    def _requery(self, **changes: str | int) -> None:
        self.query_state = replace(self.query_state, **changes)  # type: ignore[arg-type]
        self.load()

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._requery(search=event.value, offset=0)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#table", EntryTable).focus()

    @on(Tabs.TabActivated)
    def _filter(self, event: Tabs.TabActivated) -> None:
        value = (event.tab.id or "filter-all").removeprefix("filter-")
        if value != self.query_state.filter:
            self._requery(filter=value, offset=0)

    async def on_key(self, event: events.Key) -> None:
        """Typing anywhere in the list goes to the search box (letters are no commands here)."""
        # A key the box did not take (it takes every printable one) was sent to the list,
        # maybe before an earlier key moved the focus here: it belongs in the box too, and so
        # does an editing key (Backspace…) typed right behind a letter that moved the focus.
        search = self.query_one("#search", FormInput)
        if not event.is_printable or event.character is None:
            if self.focused is search and await search.take_key(event):
                event.prevent_default()
            return
        event.stop()
        event.prevent_default()
        self.set_focus(search)  # now: the keys behind this one go to the box too
        search.insert_text_at_cursor(event.character)

    def action_focus_search(self) -> None:
        """Type to search (focus moves now, before the next typed key is routed)."""
        self.set_focus(self.query_one("#search", Input))

    def action_next_filter(self) -> None:
        """Cycle through the filters.

        Counted from the tab shown now, not from the last query: F4 pressed three times in
        a row went one step only, as the query follows the tabs a message later.
        """
        tabs = self.query_one(Tabs)
        shown = (tabs.active or "filter-all").removeprefix("filter-")
        index = FILTERS.index(shown) if shown in FILTERS else 0
        tabs.active = f"filter-{FILTERS[(index + 1) % len(FILTERS)]}"

    def action_next_page(self) -> None:
        """The next page, if any."""
        offset = self.query_state.offset + PAGE_SIZE
        if offset < self.total:
            self._requery(offset=offset)

    def action_prev_page(self) -> None:
        """The previous page, if any."""
        if self.query_state.offset > 0:
            self._requery(offset=max(0, self.query_state.offset - PAGE_SIZE))

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        self.open_entry(event.row_key.value)

    def action_open(self) -> None:
        """Open the entry under the cursor (Enter does the same in the table)."""
        table = self.query_one("#table", EntryTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self.open_entry(row_key.value)

    def open_entry(self, entry_id: str | None) -> None:
        """Show one entry of the page; the list reloads when it closes (it may have changed)."""
        from fieldkit.tui.screens.detail import DetailScreen

        row = next((r for r in self.rows if str(r.id) == entry_id), None)
        if row is not None:
            self.app.push_screen(DetailScreen(row), lambda _: self.load())

    def action_back(self) -> None:
        """Back home."""
        self.dismiss(None)
