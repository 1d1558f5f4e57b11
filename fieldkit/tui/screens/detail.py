"""One entry in full, with the server's or reviewer's verdict; E edits (fixes) it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from fieldkit.domain.catalogue import service_label
from fieldkit.domain.formatting import format_date, format_datetime
from fieldkit.tui.i18n import outcome_text, reason_text, tr
from fieldkit.tui.screens.base import FieldkitScreen, key
from fieldkit.tui.widgets.entry_table import status_text

if TYPE_CHECKING:
    from fieldkit.store import EntryRow


def detail_table(row: EntryRow, lang: str, village_name: str = "") -> Table:
    """Label/value pairs of one entry."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    sex = tr(f"form.{row.sex.value}", lang)
    pairs = [
        ("col.when", format_datetime(row.assisted_at)),
        ("form.full_name", row.full_name),
        ("form.id_number", row.id_number),
        ("form.birth_year", str(row.birth_year)),
        ("form.sex", sex),
        ("form.phone", row.phone or "—"),
        ("form.village", f"{village_name} ({row.village})" if village_name else row.village),
        ("col.service", service_label(row.service, lang)),
        ("col.outcome", outcome_text(row.outcome, lang)),
        ("form.reasons", ", ".join(reason_text(r, lang) for r in row.reasons) or "—"),
        ("form.device_owner", tr(f"form.owner.{row.device_owner.value}", lang)),
        ("form.note", row.note or "—"),
        ("col.status", status_text(row, lang)),
    ]
    for label_key, value in pairs:
        table.add_row(tr(label_key, lang), Text(value))
    if row.reject_message or row.reject_code or row.review_reason:
        reason = row.review_reason or row.reject_message or tr(row.reject_code or "", lang)
        table.add_row(tr("form.rejected_reason", lang), Text(reason, style="bold red"))
    if row.duplicate_village or row.duplicate_at:
        when = format_date(row.duplicate_at) if row.duplicate_at else "—"
        if row.duplicate_village:
            place = row.duplicate_village_name or row.duplicate_village
            text = tr("entry.duplicate", lang, village=place, date=when)
        else:  # counted in another commune: the server tells only since which day
            text = tr("entry.duplicate_elsewhere", lang, date=when)
        table.add_row(tr("status.duplicate", lang), Text(text, style="yellow"))
    return table


class DetailScreen(FieldkitScreen):
    """Read an entry; edit it when its personal data is still on the laptop."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("e", "edit", "edit"),
        key("escape", "back", "back"),
    ]

    def __init__(self, row: EntryRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        """The entry's fields."""
        yield Header()
        with VerticalScroll():
            yield Static(id="detail")
        yield Footer(compact=True)

    def apply_language(self, lang: str) -> None:
        """Relabel."""
        self.title = tr("detail.title", lang)
        store = self.shared.store
        names = {v.code: v.name for v in store.profile.villages} if store is not None else {}
        table = detail_table(self.row, lang, names.get(self.row.village, ""))
        self.query_one("#detail", Static).update(table)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer edit only while the entry can be edited."""
        if action == "edit":
            return self.row.editable
        return True

    def action_edit(self) -> None:
        """Fix or edit the entry; it goes back into the outbox."""
        from fieldkit.tui.screens.entry_form import EntryFormScreen

        self.app.push_screen(EntryFormScreen(editing=self.row), lambda _: self.dismiss(None))

    def action_back(self) -> None:
        """Back to the list."""
        self.dismiss(None)
