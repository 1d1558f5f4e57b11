"""Enroll against a real server, then sync offline → online with the server's quota coming back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from fieldkit.domain import Sex
from fieldkit.settings import ClientSettings
from fieldkit.store import Store, create_profile
from fieldkit.sync import enroll
from fieldkit.tui.app import FieldkitApp
from fieldkit.tui.screens.enroll import EnrollScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.welcome import WelcomeScreen
from fieldkit.tui.widgets.connection_badge import ConnectionBadge
from fieldkit.tui.widgets.quota_bar import QuotaBar
from tests.tui.conftest import make_entry, settle, static_text
from tests.tui.server import VILLAGE, ServerThread, add_volunteer, free_port, make_world

pytestmark = pytest.mark.anyio


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A migrated server database with a village and its quota, and a free port."""
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    make_world(db_url)
    yield db_url, free_port()


async def test_enroll_through_the_form_against_a_real_server(
    tmp_path: Path, world: tuple[str, int]
) -> None:
    db_url, port = world
    code = add_volunteer(db_url)
    server = ServerThread(db_url, tmp_path, port).start()
    try:
        app = FieldkitApp(ClientSettings(home=tmp_path / "home"), check_seconds=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, WelcomeScreen)
            await pilot.press("e")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, EnrollScreen)
            # Malformed input is explained, nothing is sent.
            screen.query_one("#server", Input).value = "192.168.1.10"
            screen.query_one("#code", Input).value = "ab"
            screen.query_one("#pin", Input).value = "12"
            await pilot.press("ctrl+s")
            await pilot.pause()
            said = static_text(screen.query_one("#enroll-problems", Static))
            assert "http://" in said and "4 đến 64" in said and "4 đến 8 chữ số" in said
            screen.query_one("#server", Input).value = server.url
            screen.query_one("#code", Input).value = "WRONG-CODE-123"
            screen.query_one("#pin", Input).value = "1357"
            screen.query_one("#pin2", Input).value = "1357"
            await pilot.press("ctrl+s")
            await settle(pilot)
            said = static_text(screen.query_one("#enroll-problems", Static))
            assert "Mã đăng ký không đúng" in said and "Traceback" not in said
            screen.query_one("#code", Input).value = code
            screen.query_one("#pin2", Input).focus()
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)
            assert app.store is not None
            assert app.store.profile.user_name == "Phạm Thu Hà"
            assert app.store.check_pin("1357") and not app.store.check_pin("7531")
            assert app.online is True
    finally:
        server.stop()


def level2_bar(screen: HomeScreen) -> QuotaBar:
    """The quota bar of the level-2 activation service."""
    return next(b for b in screen.query(QuotaBar) if b.label.endswith("VNeID mức 2"))


def enrolled_store(tmp_path: Path, db_url: str, port: int) -> Store:
    """Enroll a laptop while the server runs, then stop the server."""
    server = ServerThread(db_url, tmp_path, port).start()
    try:
        response = enroll(server.url, add_volunteer(db_url), "laptop-1")
    finally:
        server.stop()
    return create_profile(tmp_path / "home", response, server.url, "2468")


async def test_offline_then_online_sync(tmp_path: Path, world: tuple[str, int]) -> None:
    db_url, port = world
    store = enrolled_store(tmp_path, db_url, port)
    entry = make_entry(
        "Võ Thị Mai", "052195001234", birth_year=1995, sex=Sex.FEMALE, at=datetime.now(UTC)
    )
    store.save_entries([entry.model_copy(update={"village": VILLAGE})])
    app = FieldkitApp(ClientSettings(home=tmp_path / "home"), store=store, check_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        badge = screen.query_one(ConnectionBadge)
        assert app.online is False and "NGOẠI TUYẾN" in static_text(badge)
        assert app.status is not None and app.status.pending == 1
        bar = level2_bar(screen)
        assert (bar.achieved, bar.quota) == (1, None)  # counted locally, no quota known yet
        await pilot.press("f5")
        await settle(pilot)
        said = static_text(screen.query_one("#sync-text", Static))
        assert said.startswith("Không kết nối được máy chủ.")
        assert app.status.pending == 1
        server = ServerThread(db_url, tmp_path, port).start()
        try:
            app.check_connection()  # what the periodic check does
            await settle(pilot)
            assert app.online is True and "TRỰC TUYẾN" in static_text(badge)
            assert app.status is not None
            assert (app.status.pending, app.status.rejected) == (0, 0)
            assert app.status.last_sync_at is not None
            said = static_text(screen.query_one("#sync-text", Static))
            assert said.startswith("Đồng bộ xong: gửi 1")
            await pilot.press("f2")  # what the last sync said follows the language
            await pilot.pause()
            said = static_text(screen.query_one("#sync-text", Static))
            assert said.startswith("Sync done: sent 1")
            await pilot.press("f2")
            await pilot.pause()
            bar = level2_bar(screen)
            assert bar.achieved == 1
            assert bar.quota == 40
            assert "1/40" in str(bar.render()) and "2,5 %" in str(bar.render())
        finally:
            server.stop()


async def test_the_apps_sync_erases_personal_data_past_the_retention_period(
    tmp_path: Path, world: tuple[str, int]
) -> None:
    db_url, port = world
    store = enrolled_store(tmp_path, db_url, port)
    old = make_entry("Võ Thị Mai", "052195001234", birth_year=1995, sex=Sex.FEMALE)
    old = old.model_copy(
        update={"village": VILLAGE, "assisted_at": datetime.now(UTC) - timedelta(days=40)}
    )
    fresh = make_entry("Lê Minh", "064088007777", birth_year=1988, at=datetime.now(UTC))
    store.save_entries([old, fresh.model_copy(update={"village": VILLAGE})])
    settings = ClientSettings(home=tmp_path / "home", retention_days=30, mask_after_minutes=0)
    server = ServerThread(db_url, tmp_path, port).start()
    try:
        app = FieldkitApp(settings, store=store, check_seconds=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)  # online: the first sync sends both
            assert app.status is not None and app.status.pending == 0
            app.action_sync()  # a later sync confirms the server kept them: masked, then erased
            await settle(pilot)
            assert not app.syncing
    finally:
        server.stop()
    gone, kept = store.get_entry(old.id), store.get_entry(fresh.id)
    assert gone is not None and gone.erased and gone.full_name == "" and gone.phone is None
    assert kept is not None and not kept.erased and kept.full_name == "Lê Minh"


def _give_the_device_another_key(db_url: str, device_id: str) -> None:
    """What the server holds when another key was registered for this laptop first."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from sync_server.db.models import Device

    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            device = session.get(Device, device_id)
            assert device is not None
            device.public_key = public.hex()
            session.commit()
    finally:
        engine.dispose()


async def test_a_refused_signing_key_is_said_on_the_status_line(
    tmp_path: Path, world: tuple[str, int]
) -> None:
    db_url, port = world
    store = enrolled_store(tmp_path, db_url, port)
    assert not store.signing_key().registered
    _give_the_device_another_key(db_url, store.profile.device_id)
    server = ServerThread(db_url, tmp_path, port).start()
    try:
        app = FieldkitApp(ClientSettings(home=tmp_path / "home"), store=store, check_seconds=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)  # online: the first sync runs
            assert app.online and not app.syncing
            said = static_text(app.screen.query_one("#sync-text", Static))
            assert "từ chối khóa ký" in said and "điều phối viên" in said
            await pilot.press("f2")
            await pilot.pause()
            said = static_text(app.screen.query_one("#sync-text", Static))
            assert (
                said
                == "Server refused the signing key: USB bundles will fail. Tell your coordinator."
            )
    finally:
        server.stop()


async def test_going_offline_no_longer_says_the_last_sync_was_done(
    tmp_path: Path, world: tuple[str, int]
) -> None:
    # Seen in tmux: with the server gone, home said "● NGOẠI TUYẾN", "Chờ đồng bộ: 2" and,
    # beside them, "Đồng bộ xong: gửi 1, …" from the last sync, as if all had been sent.
    db_url, port = world
    store = enrolled_store(tmp_path, db_url, port)
    server = ServerThread(db_url, tmp_path, port).start()
    try:
        app = FieldkitApp(ClientSettings(home=tmp_path / "home"), store=store, check_seconds=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, HomeScreen)
            assert app.online is True
            assert static_text(screen.query_one("#sync-text", Static)).startswith("Đồng bộ xong")
            server.stop()
            app.check_connection()  # what the periodic check does
            await settle(pilot)
            assert app.online is False
            said = static_text(screen.query_one("#sync-text", Static))
            assert said.startswith("Không kết nối được máy chủ."), said
    finally:
        server.stop()
