"""The rejected-entry loop in the app: counted on home, listed, opened, fixed, queued again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Select, Static, Tabs
from textual.widgets._select import SelectCurrent

from fieldkit.domain import Outcome, wire
from fieldkit.store import EntryFilter, EntryQuery, EntryStatus, Store
from fieldkit.tui.i18n import outcome_text
from fieldkit.tui.screens.detail import DetailScreen
from fieldkit.tui.screens.entries import EntriesScreen
from fieldkit.tui.screens.entry_form import EntryFormScreen
from fieldkit.tui.screens.home import HomeScreen
from tests.tui.conftest import AppFactory, make_entry, settle, static_text

pytestmark = pytest.mark.anyio
EPOCH = "epoch-1"


def acknowledge_and_mask(store: Store) -> None:
    """The server accepted every pending entry and a later sync masked their numbers."""
    batch = store.pending_batch(10)
    results = [
        wire.PushItemResult(
            mutation_id=m.mutation_id,
            entry_id=str(m.entry["id"]),
            status=wire.ItemStatus.ACCEPTED,
            rev=1,
        )
        for m in batch
    ]
    store.apply_push_response(
        wire.PushResponse(
            last_mutation_id=batch[-1].mutation_id, results=results, server_epoch=EPOCH
        )
    )
    assert store.mask_acknowledged(datetime.now(UTC) + timedelta(seconds=1)) == len(batch)


def pull_review(store: Store, entry_id: str, decision: str, reason: str) -> None:
    """What a sync pulls after a coordinator's review."""
    change = wire.Change(
        seq=store.cursor() + 1,
        kind="review",
        key=entry_id,
        data={"status": "accepted", "decision": decision, "reason": reason, "at": "2026-12-01"},
    )
    store.apply_pull_page(
        wire.PullResponse(
            changes=[change],
            next_cursor=change.seq,
            has_more=False,
            server_epoch=EPOCH,
            last_mutation_id=store.last_mutation_id(),
        )
    )


async def test_an_entry_rejected_in_review_is_counted_listed_and_fixed_in_the_app(
    store: Store, make_app: AppFactory
) -> None:
    entry = make_entry("Nguyễn Văn A", "052090001234")
    store.save_entries([entry, make_entry("Lê Minh", "064088007777", birth_year=1988)])
    acknowledge_and_mask(store)
    pull_review(store, str(entry.id), "has_issues", "Sai số điện thoại")
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Bị trả lại, cần sửa: 1" in static_text(app.screen.query_one("#counts", Static))
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EntriesScreen)
        await pilot.press("f4", "f4", "f4")  # all → today → pending → rejected
        await settle(pilot)
        assert screen.query_one(Tabs).active == "filter-rejected"
        assert [r.full_name for r in screen.rows] == ["Nguyễn Văn A"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "Sai số điện thoại" in static_text(app.screen.query_one("#detail", Static))
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        assert "Sai số điện thoại" in static_text(form.query_one("#form-info", Static))
        number = form.query_one("#id_number", Input)
        assert number.value == "•••••••••234" and number.disabled
        form.query_one("#phone", Input).value = "0901234567"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)
        assert [r.full_name for r in app.screen.rows] == []
        row = store.get_entry(entry.id)
        assert row is not None
        assert (row.phone, row.status, row.rev) == ("0901234567", EntryStatus.PENDING, 2)
        assert row.review_decision is None
        (mutation,) = store.pending_batch(10)
        assert mutation.base_rev == 1 and mutation.entry["id_number"] == "•••••••••234"
        assert app.status is not None and (app.status.rejected, app.status.pending) == (0, 1)


async def test_a_pending_outcome_can_be_updated_after_the_server_has_it(
    store: Store, make_app: AppFactory
) -> None:
    entry = make_entry("Nguyễn Văn A", "052090001234", outcome=Outcome.PENDING)
    store.save_entry(entry)
    acknowledge_and_mask(store)
    assert store.status().follow_up == 1
    assert store.count_entries(EntryQuery(filter=EntryFilter.FOLLOW_UP)) == 1
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        form.query_one("#note", Input).value = "hẹn thứ hai"
        await pilot.press("ctrl+s")
        await settle(pilot)
        row = store.get_entry(entry.id)
        assert row is not None and (row.note, row.rev) == ("hẹn thứ hai", 2)
        (mutation,) = store.pending_batch(10)
        assert mutation.base_rev == 1 and mutation.entry["outcome"] == "pending"


async def test_the_form_for_a_fix_shows_the_entrys_outcome(
    store: Store, make_app: AppFactory
) -> None:
    # Seen in tmux at 120x36: fixing a returned entry, its service's outcome box said
    # "Select" (blank) instead of the stored outcome.
    entry = make_entry("Lê Văn Cường", "052090003333")
    store.save_entries([entry])
    acknowledge_and_mask(store)
    pull_review(store, str(entry.id), "rejected", "Năm sinh không khớp")
    app = make_app(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        row = store.get_entry(entry.id)
        assert row is not None
        app.push_screen(EntryFormScreen(editing=row))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        outcome = form.query_one(f"#svc-{entry.service} #outcome", Select)
        assert outcome.value == entry.outcome.value
        shown = static_text(outcome.query_one(SelectCurrent).query_one(Static))
        assert shown == outcome_text(entry.outcome, "vi"), shown
        await pilot.press("f2")
        await pilot.pause()
        shown = static_text(outcome.query_one(SelectCurrent).query_one(Static))
        assert shown == outcome_text(entry.outcome, "en"), shown
