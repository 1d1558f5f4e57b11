"""What the laptop shows for a duplicate: the village and day, or only the day (another commune)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from fieldkit.domain import wire
from fieldkit.store import Store
from fieldkit.tui.screens.detail import detail_table
from tests.tui.conftest import make_entry


def _shown(store: Store, duplicate_of: wire.DuplicateOf) -> str:
    store.save_entries([make_entry("Nguyễn Văn A", "052090001234")])
    (mutation,) = store.pending_batch(10)
    item = wire.PushItemResult(
        mutation_id=mutation.mutation_id,
        entry_id=str(mutation.entry["id"]),
        status=wire.ItemStatus.DUPLICATE,
        code="entry.duplicate",
        duplicate_of=duplicate_of,
        rev=1,
    )
    store.apply_push_response(
        wire.PushResponse(last_mutation_id=mutation.mutation_id, results=[item], server_epoch="e")
    )
    row = store.get_entry(mutation.entry["id"])
    assert row is not None
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(detail_table(row, "vi", ""))
    return console.export_text()


def test_a_duplicate_in_another_commune_shows_since_which_day(store: Store) -> None:
    day = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # 05/03/2026 00:00 in Vietnam
    shown = _shown(store, wire.DuplicateOf(village="", assisted_at=day))
    assert "xã/phường khác" in shown and "05/03/2026" in shown


def test_a_duplicate_in_the_same_commune_names_the_village(store: Store) -> None:
    day = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)
    of = wire.DuplicateOf(village="52001-1", village_name="Thôn Một", assisted_at=day)
    shown = _shown(store, of)
    assert "Thôn Một" in shown and "05/03/2026" in shown
