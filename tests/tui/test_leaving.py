"""Ctrl+Q with entries not yet sent says how many (they are safe) and offers to sync first."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from fieldkit.store import Store
from fieldkit.tui.app import FieldkitApp
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.leaving import LeavingScreen
from tests.tui.conftest import AppFactory, make_entry, settle

pytestmark = pytest.mark.anyio


async def quit_dialog(app: FieldkitApp, pilot: Pilot[None]) -> str:
    """Ctrl+Q from where the app is: the dialog's text, which must be open."""
    await settle(pilot)
    await pilot.press("ctrl+q")
    await settle(pilot)
    assert isinstance(app.screen, LeavingScreen)
    return str(app.screen.query_one("#leaving-body", Static).render())


async def test_quitting_with_unsent_entries_asks_and_offers_a_sync(
    store: Store, make_app: AppFactory
) -> None:
    # Two citizens, three services: people are counted as people, not as records.
    store.save_entries(
        [
            make_entry("Nguyễn Văn An", "052090001234", service="vneid_level1"),
            make_entry("Nguyễn Văn An", "052090001234", service="vneid_level2"),
        ]
    )
    store.save_entries([make_entry("Trần Thị Bích", "052195004321", birth_year=1995)])
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        body = await quit_dialog(app, pilot)
        assert body.startswith("Thông tin của 2 người (3 dịch vụ) chưa gửi lên máy chủ.")
        assert "an toàn trên máy này" in body
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and app.is_running
        # Sync first: the server cannot be reached, so the app stays and says why.
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and app.is_running
        assert "máy chủ" in app.sync_note[0]
        # Quit now: the entries stay on the laptop.
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running
    assert store.pending_count() == 3  # nothing lost: every service still waits


@pytest.mark.parametrize(
    ("services", "said"),
    [
        (["vneid_level2"], "1 citizen (1 service)"),
        (["vneid_level1", "vneid_level2", "dvc_account"], "1 citizen (3 services)"),
    ],
)
async def test_unsent_citizens_are_counted_with_english_plurals(
    store: Store, make_app: AppFactory, services: list[str], said: str
) -> None:
    entries = [make_entry("Nguyễn Văn An", "052090001234", service=s) for s in services]
    store.save_entries(entries)
    app = make_app(store=store, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        body = await quit_dialog(app, pilot)
        title = str(app.screen.query_one("#leaving-title", Static).render())
        assert title == "Before you quit"
        assert body.startswith(f"What you recorded for {said} is not on the server yet.")
        assert "It is safe on this laptop" in body
        # Another citizen: citizens in the plural.
        await pilot.press("escape")
        store.save_entries([make_entry("Trần Thị Bích", "052195004321", birth_year=1995)])
        body = await quit_dialog(app, pilot)
        more = f"{len(services) + 1} services"
        assert body.startswith(f"What you recorded for 2 citizens ({more}) is not on the")


async def test_quitting_with_nothing_unsent_asks_nothing(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running


async def test_a_lost_connection_shows_offline_at_once_not_after_retries(
    store: Store, make_app: AppFactory
) -> None:
    store.save_entries([make_entry("Nguyễn Văn An", "052090001234")])
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notes: list[str] = []
        app.watch(app, "sync_note", lambda note: notes.append(note[0]), init=False)
        app.online = True  # the link was up a moment ago
        await pilot.press("f5")
        await settle(pilot)
        assert app.online is False
        assert not any(n.startswith("Đang đồng bộ:") for n in notes), notes
        assert "Không kết nối được máy chủ" in app.sync_note[0]
        assert "NGOẠI TUYẾN" in str(app.screen.query_one("#badge", Static).render())


async def test_save_and_sync_messages_cover_nothing(store: Store, make_app: AppFactory) -> None:
    from tests.tui.test_entry_form import fill_valid, open_new_entry

    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await fill_valid(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Đã lưu Trần Thị Bích: 1 dịch vụ." in str(screen.query_one("#form-info").render())
        await pilot.press("f5")  # the server cannot be reached
        await settle(pilot)
        line = str(screen.query_one("#status-line", Static).render())
        assert "Không kết nối được máy chủ" in line
        assert not app._notifications, "no toast over the consent and note rows"
