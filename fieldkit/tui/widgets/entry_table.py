"""A page of entries in a table; paging replaces one page of rows, never the whole list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from fieldkit.domain import VIETNAM_TZ
from fieldkit.domain.catalogue import service_label
from fieldkit.tui.i18n import outcome_text, tr

if TYPE_CHECKING:
    from fieldkit.store import EntryRow

# Columns that give up room when the table is narrow, in this order, with the least each
# keeps: the name first (the detail shows it whole), then the identity number (its last
# digits stay), then outcome and service.
SHRINKING = ((1, 12), (2, 7), (4, 8), (3, 10))
ID_COLUMN = 2
CHROME = 2  # the vertical scroll bar


def clip(text: str, width: int) -> str:
    """Text cut to width with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def clip_left(text: str, width: int) -> str:
    """Text cut to width from the left, keeping its end ('…01234')."""
    return text if len(text) <= width else "…" + text[len(text) - width + 1 :]


def fit_widths(cells: Sequence[Sequence[str]], headers: Sequence[str], width: int) -> list[int]:
    """Column widths for the page: what the cells need, shrinking columns giving way.

    Each cell is shown with one space before it, so n columns take n more.
    """
    needed = [len(h) for h in headers]
    for row in cells:
        needed = [max(n, len(c)) for n, c in zip(needed, row, strict=True)]
    excess = sum(needed) + len(needed) - width
    for column, least in SHRINKING:
        give = min(max(excess, 0), max(needed[column] - least, 0))
        needed[column] -= give
        excess -= give
    return needed


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
        self._rows: list[EntryRow] = []
        self._fitted_to = 0

    def on_mount(self) -> None:
        """Create the columns."""
        self._add_columns()

    def _add_columns(self) -> None:
        for key in COLUMNS:
            self.add_column(" " + tr(key, self.lang), key=key)

    def show_rows(self, rows: Sequence[EntryRow]) -> None:
        """Replace the shown page (at most a page of rows, so this stays cheap).

        Cells are cut only as far as the table's width needs: a wide terminal shows them whole.
        """
        self._rows = list(rows)
        pages = [
            (
                row.assisted_at.astimezone(VIETNAM_TZ).strftime("%d/%m %H:%M"),
                row.full_name,
                row.id_number,
                service_label(row.service, self.lang, short=True),
                outcome_text(row.outcome, self.lang, short=True),
                status_text(row, self.lang),
            )
            for row in rows
        ]
        # The table spans the screen; its own size is not known before its first layout.
        self._fitted_to = self.app.size.width
        headers = [tr(key, self.lang) for key in COLUMNS]
        widths = fit_widths(pages, headers, self._fitted_to - CHROME)
        self.clear(columns=True)  # headers are cut to the same widths as their cells
        for key, header, width in zip(COLUMNS, headers, widths, strict=True):
            self.add_column(" " + clip(header, width), key=key)
        for row, cells in zip(rows, pages, strict=True):
            fitted = (
                (clip_left if i == ID_COLUMN else clip)(cell, width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )
            # Text, not str: a name or a server's label is never read as markup.
            self.add_row(*(Text(" " + cell) for cell in fitted), key=str(row.id))

    def on_resize(self) -> None:
        """Fit the page again to a new width."""
        if self._rows and self.app.size.width != self._fitted_to:
            self.show_rows(self._rows)

    def relabel(self, lang: str, rows: Sequence[EntryRow]) -> None:
        """Rebuild the headers and the page in another language."""
        self.lang = lang
        self.clear(columns=True)
        self._add_columns()
        self.show_rows(rows)
