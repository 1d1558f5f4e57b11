"""Entries: search without diacritics, filters, paging, detail and fixing a rejected entry."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static, Tabs

from fieldkit.domain import Sex, wire
from fieldkit.store import EntryFilter, EntryQuery, EntryStatus, Store
from fieldkit.tui.screens.detail import DetailScreen
from fieldkit.tui.screens.entries import PAGE_SIZE, EntriesScreen
from fieldkit.tui.screens.entry_form import EntryFormScreen
from fieldkit.tui.widgets.entry_table import EntryTable
from tests.tui.conftest import (
    AppFactory,
    burst,
    make_entry,
    settle,
    static_text,
    type_text,
)

pytestmark = pytest.mark.anyio


def names(screen: EntriesScreen) -> list[str]:
    """The names on the shown page."""
    return [row.full_name for row in screen.rows]


def seed(store: Store) -> None:
    """Three citizens, one of them with a long Vietnamese name."""
    store.save_entries(
        [
            make_entry("Nguyễn Văn A", "052090001234"),
            make_entry("Đặng Thị Hoa", "052195004321", birth_year=1995, sex=Sex.FEMALE),
            make_entry("Lê Minh", "064088007777", birth_year=1988),
        ]
    )


async def test_search_ignores_diacritics_and_case(store: Store, make_app: AppFactory) -> None:
    seed(store)
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        assert sorted(names(screen)) == ["Lê Minh", "Nguyễn Văn A", "Đặng Thị Hoa"]
        await pilot.press("ctrl+f")
        await type_text(pilot, "nguyen van a")
        await settle(pilot)
        assert names(screen) == ["Nguyễn Văn A"]
        assert screen.query_one(EntryTable).row_count == 1
        screen.query_one("#search", Input).value = "dang thi"
        await settle(pilot)
        assert names(screen) == ["Đặng Thị Hoa"]
        screen.query_one("#search", Input).value = "khong co ai"
        await settle(pilot)
        assert names(screen) == []
        assert str(screen.query_one("#page", Static).render()) == "Không có bản ghi nào."


async def test_paging_shows_one_page_at_a_time(store: Store, make_app: AppFactory) -> None:
    store.save_entries(
        [
            make_entry(f"Người Số {chr(65 + i // 26)}{chr(65 + i % 26)}", "052090001234")
            for i in range(PAGE_SIZE + 7)
        ]
    )
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        assert screen.query_one(EntryTable).row_count == PAGE_SIZE
        assert str(screen.query_one("#page", Static).render()) == f"1–{PAGE_SIZE} / {PAGE_SIZE + 7}"
        await pilot.press("f8")
        await settle(pilot)
        assert screen.query_one(EntryTable).row_count == 7
        assert str(screen.query_one("#page", Static).render()) == "51–57 / 57"
        await pilot.press("f8")  # no page after the last
        await settle(pilot)
        assert screen.query_state.offset == PAGE_SIZE
        await pilot.press("f7")
        await settle(pilot)
        assert screen.query_one(EntryTable).row_count == PAGE_SIZE


def reject_first(store: Store, code: str, message: str) -> None:
    """The server refused the oldest pending entry (what a sync would apply)."""
    batch = store.pending_batch(10)
    results = [
        wire.PushItemResult(
            mutation_id=m.mutation_id,
            entry_id=str(m.entry["id"]),
            status=wire.ItemStatus.REJECTED if i == 0 else wire.ItemStatus.ACCEPTED,
            code=code if i == 0 else None,
            message=message if i == 0 else None,
            rev=1,
        )
        for i, m in enumerate(batch)
    ]
    store.apply_push_response(
        wire.PushResponse(
            last_mutation_id=batch[-1].mutation_id, results=results, server_epoch="epoch-1"
        )
    )


async def test_fix_a_rejected_entry_puts_it_back_in_the_outbox(
    store: Store, make_app: AppFactory
) -> None:
    seed(store)
    reject_first(store, "village.not_yours", "Thôn/ấp 52001-1 không thuộc tổ của bạn.")
    assert store.status().rejected == 1 and store.status().pending == 0
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.status is not None and app.status.rejected == 1
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        await pilot.press("f4", "f4", "f4")  # all → today → pending → rejected
        await settle(pilot)
        assert screen.query_one(Tabs).active == "filter-rejected"
        assert screen.query_state.filter == "rejected"
        assert names(screen) == ["Nguyễn Văn A"]
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        shown = static_text(detail.query_one("#detail", Static))
        assert "không thuộc tổ của bạn" in shown
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        assert "không thuộc tổ của bạn" in static_text(form.query_one("#form-info", Static))
        assert form.query_one("#full_name", Input).value == "Nguyễn Văn A"
        form.query_one("#phone", Input).value = "0901234567"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Back on the list; the entry waits to sync again with its fix.
        assert isinstance(app.screen, EntriesScreen)
        row = store.query_entries(store_query(EntryFilter.PENDING))[0]
        assert (row.full_name, row.phone, row.status) == (
            "Nguyễn Văn A",
            "0901234567",
            EntryStatus.PENDING,
        )
        assert row.rev == 2
        assert names(app.screen) == []  # the rejected filter is empty now
        assert app.status is not None and app.status.rejected == 0 and app.status.pending == 1


def store_query(filter_: EntryFilter) -> EntryQuery:
    """A query for one filter."""
    return EntryQuery(filter=filter_)


async def test_acknowledged_entries_show_masked_and_cannot_be_edited(
    store: Store, make_app: AppFactory
) -> None:
    seed(store)
    reject_first(store, "x", "y")
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        screen.query_one("#search", Input).value = "le minh"
        await settle(pilot)
        assert [r.id_number for r in screen.rows] == ["•••••••••777"]
        screen.query_one(EntryTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)


@pytest.mark.parametrize("message", ["Sai [/bold] rồi", "[red]Từ chối[/red] [link=x]", "[b]"])
async def test_server_texts_are_shown_as_plain_text(
    store: Store, make_app: AppFactory, message: str
) -> None:
    seed(store)
    reject_first(store, "village.not_yours", message)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("f4", "f4", "f4")  # the rejected filter
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert message in static_text(detail.query_one("#detail", Static))  # shown as typed
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        assert message in static_text(form.query_one("#form-info", Static))
        assert app.return_code is None  # still running: nothing crashed


async def test_starting_long_past_the_grace_period_masks_the_number(
    store: Store, make_app: AppFactory
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select, update

    from fieldkit.store.models import EntryRecord

    seed(store)
    reject_first(store, "x", "y")  # the other two are acknowledged
    with store._write() as session:  # … 8 days ago, and never confirmed by a later sync
        session.execute(
            update(EntryRecord).values(updated_at=datetime.now(UTC) - timedelta(days=8))
        )
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with store._read() as session:
            numbers = sorted(session.scalars(select(EntryRecord.id_number)))
    assert numbers == ["052090001234", "•••••••••321", "•••••••••777"]  # the rejected one stays


async def test_typing_in_the_list_goes_to_the_search_box(
    store: Store, make_app: AppFactory
) -> None:
    seed(store)
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        assert app.focused is screen.query_one(EntryTable)
        # Letters that used to be commands ("o" opened the entry under the cursor) search,
        # also when typed fast: the keys behind the first reach the list before it moves.
        await burst(pilot, *["space" if c == " " else c for c in "dang thi hoa"])
        assert app.screen is screen, "no entry was opened while typing"
        assert screen.query_one("#search", Input).value == "dang thi hoa"
        assert names(screen) == ["Đặng Thị Hoa"]
        # Typos fixed at the same speed: the editing keys are not overtaken by the letters
        # typed after them (Home, Delete, "D" made "ang thi hoa").
        await burst(pilot, "backspace", "backspace", "backspace", *"hox", "backspace", "a")
        assert screen.query_one("#search", Input).value == "dang thi hoa"
        await burst(pilot, "home", "delete", "D", "end", "backspace", "backspace", *"oa")
        assert screen.query_one("#search", Input).value == "Dang thi hoa"
        # Typed from the list, with a typo fixed at once: Backspace edits the box, after "z".
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is screen.query_one(EntryTable)
        screen.query_one("#search", Input).value = ""
        await settle(pilot)
        await burst(pilot, *"hoz", "backspace", "a")
        assert screen.query_one("#search", Input).value == "hoa"
        assert names(screen) == ["Đặng Thị Hoa"]
        # Enter goes back to the list, and Enter there opens the entry.
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is screen.query_one(EntryTable)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)


async def test_f4_pressed_quickly_steps_through_every_filter(
    store: Store, make_app: AppFactory
) -> None:
    # Seen in tmux: three quick F4 presses went to "today" only (each counted from the last
    # query, which follows the tabs a message later), and Enter then opened another entry.
    seed(store)
    reject_first(store, "x", "Sai năm sinh.")
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        await burst(pilot, "f4", "f4", "f4")
        await settle(pilot)
        assert screen.query_one(Tabs).active == "filter-rejected"
        assert screen.query_state.filter == "rejected"
        assert names(screen) == ["Nguyễn Văn A"]
        await burst(pilot, "f4", "f4")  # duplicate, then round to all
        await settle(pilot)
        assert screen.query_state.filter == "all" and len(names(screen)) == 3
