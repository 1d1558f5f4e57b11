"""A page of entries in a table; paging replaces one page of rows, never the whole list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from fieldkit.domain import VIETNAM_TZ
from fieldkit.tui.i18n import outcome_text, service_label, tr

if TYPE_CHECKING:
    from fieldkit.store import EntryRow

# Cell widths that keep all six columns inside 80 columns.
NAME_WIDTH = 16
SERVICE_WIDTH = 12
OUTCOME_WIDTH = 10


def clip(text: str, width: int) -> str:
    """Text cut to width with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


COLUMNS = ("col.when", "col.name", "col.id_number", "col.service", "col.outcome", "col.status")


def status_text(row: EntryRow, lang: str) -> str:
    """The entry's standing with the server, in words."""
    if row.review_decision:
        return tr(f"status.{row.review_decision}", lang)
    return tr(f"status.{row.status.value}", lang)


class EntryTable(DataTable[Text]):
    """Entries of the current page; row keys are entry ids."""

    DEFAULT_CSS = """
    EntryTable {
        height: 1fr;
    }
    """

    def __init__(self, *, lang: str = "vi", id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, cell_padding=0)
        self.lang = lang

    def on_mount(self) -> None:
        """Create the columns."""
        self._add_columns()

    def _add_columns(self) -> None:
        for key in COLUMNS:
            self.add_column(" " + tr(key, self.lang), key=key)

    def show_rows(self, rows: Sequence[EntryRow]) -> None:
        """Replace the shown page (at most a page of rows, so this stays cheap)."""
        self.clear()
        for row in rows:
            cells = (
                row.assisted_at.astimezone(VIETNAM_TZ).strftime("%d/%m %H:%M"),
                clip(row.full_name, NAME_WIDTH),
                row.id_number,
                clip(service_label(row.service, self.lang), SERVICE_WIDTH),
                clip(outcome_text(row.outcome, self.lang), OUTCOME_WIDTH),
                status_text(row, self.lang),
            )
            # Text, not str: a name or a server's label is never read as markup.
            self.add_row(*(Text(" " + cell) for cell in cells), key=str(row.id))

    def relabel(self, lang: str, rows: Sequence[EntryRow]) -> None:
        """Rebuild the headers and the page in another language."""
        self.lang = lang
        self.clear(columns=True)
        self._add_columns()
        self.show_rows(rows)
