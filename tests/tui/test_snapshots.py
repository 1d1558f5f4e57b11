"""Snapshots of the main screens at 80×24 and 120×36 (fixed data, offline, no cursor blink)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input

from fieldkit.domain import Outcome, Sex
from fieldkit.store import Store
from tests.tui.conftest import AppFactory, make_entry, pull_tallies, settle

PAST = datetime(2025, 12, 14, 2, 30, tzinfo=UTC)  # last year: never "today", never this period
SIZES = [(80, 24), (120, 36)]
LANGS = ["vi", "en"]
SnapCompare = Any


def fill(store: Store) -> None:
    """Fixed entries (the longest names, services and outcomes) and a tally with quotas."""
    names = [
        "Nguyễn Văn An",
        "Đặng Thị Hoa",
        "Lê Minh Tuấn",
        "Trần Thị Bích",
        "Tôn Nữ Thị Phương Thảo",
    ]
    services = [
        "vneid_level2",
        "dvc_transaction",
        "cashless_payment",
        "vneid_level1",
        "dvc_account",
    ]
    outcomes = [Outcome.SUCCESS, Outcome.SUCCESS, Outcome.PENDING, Outcome.FAILED, Outcome.REFERRED]
    store.save_entries(
        [
            make_entry(
                name,
                f"05209{i}001234" if i % 2 == 0 else f"05219{i}004321",
                birth_year=1990 + i,
                sex=Sex.MALE if i % 2 == 0 else Sex.FEMALE,
                at=PAST.replace(hour=2 + i),
                service=service,
                outcome=outcome,
            )
            for i, (name, service, outcome) in enumerate(
                zip(names, services, outcomes, strict=True)
            )
        ]
    )
    pull_tallies(
        store, {"vneid_level1": (40, 12), "vneid_level2": (30, 33), "dvc_account": (25, 5)}
    )


def _tables_pending(pilot: Pilot[None]) -> bool:
    """Whether a table still has to size its columns to rows it was given.

    DataTable measures new rows on its next Idle; on a loaded machine the screenshot could
    come first and show every cell cut to the header's width.
    """
    return any(
        table._require_update_dimensions or table._updated_cells
        for table in pilot.app.screen.query(DataTable)
    )


async def steady(pilot: Pilot[None]) -> None:
    """Wait for workers and table sizing, and stop cursors from blinking."""
    await settle(pilot)
    for _ in range(100):
        if not _tables_pending(pilot):
            break
        await pilot.pause()
    assert not _tables_pending(pilot), "a table never sized its columns"
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_home(
    store: Store, make_app: AppFactory, snap_compare: SnapCompare, size: tuple[int, int], lang: str
) -> None:
    fill(store)
    app = make_app(store=store, lang=lang)
    assert snap_compare(app, terminal_size=size, run_before=steady)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_entries(
    store: Store, make_app: AppFactory, snap_compare: SnapCompare, size: tuple[int, int], lang: str
) -> None:
    fill(store)

    async def open_list(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("l")
        await steady(pilot)

    app = make_app(store=store, lang=lang)
    assert snap_compare(app, terminal_size=size, run_before=open_list)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_entry_form_with_problems(
    store: Store, make_app: AppFactory, snap_compare: SnapCompare, size: tuple[int, int], lang: str
) -> None:
    app = make_app(store=store, lang=lang)
    assert snap_compare(app, terminal_size=size, run_before=half_filled("#full_name"))


@pytest.mark.parametrize("lang", LANGS)
def test_entry_form_bottom_at_80x24(
    store: Store, make_app: AppFactory, snap_compare: SnapCompare, lang: str
) -> None:
    """The phone owner's choices, consent and note, scrolled into view."""
    app = make_app(store=store, lang=lang)
    assert snap_compare(app, terminal_size=(80, 24), run_before=half_filled("#note"))


def half_filled(focus: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """A new entry with a few fields, one service ticked and errors listed; `focus` focused."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("n")
        await steady(pilot)
        screen = pilot.app.screen
        screen.query_one("#full_name", Input).value = "Nguyễn Văn An"
        screen.query_one("#id_number", Input).value = "052 090"
        screen.query_one("#birth_year", Input).value = "1990"
        screen.query_one("#svc-dvc_transaction #tick", Checkbox).value = True
        await pilot.press("ctrl+s")
        await steady(pilot)
        screen.query_one(focus).focus()
        await steady(pilot)

    return run_before


def test_unlock(store: Store, make_app: AppFactory, snap_compare: SnapCompare) -> None:
    store.close()
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady)


def test_welcome(make_app: AppFactory, snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady)
