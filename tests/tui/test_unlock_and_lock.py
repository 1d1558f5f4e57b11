"""Profiles open with their own PIN; the app locks itself after idle time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Input, OptionList, Static

from fieldkit.profile_files import profile_database
from fieldkit.store import Store, create_profile
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.unlock import UnlockScreen
from fieldkit.tui.screens.welcome import WelcomeScreen
from tests.tui.conftest import (
    CLOSED_SERVER,
    AppFactory,
    enroll_response,
    settle,
    static_text,
    unlock,
)

pytestmark = pytest.mark.anyio


async def test_first_run_offers_enrollment_and_demo(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        body = str(app.screen.query_one("#welcome-body", Static).render())
        assert "đăng ký" in body and "dùng thử" in body


async def test_wrong_pin_then_right_pin(store: Store, make_app: AppFactory) -> None:
    store.close()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot, "0000")
        assert isinstance(app.screen, UnlockScreen)
        message = str(app.screen.query_one("#unlock-message", Static).render())
        assert message == "Mã PIN không đúng."
        assert app.screen.query_one("#pin", Input).value == ""
        await pilot.press(*"2468", "enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.store is not None and app.store.profile.user_name == "Lê Thị Đào"


async def test_each_volunteer_has_their_own_pin(
    store: Store, home: Path, make_app: AppFactory
) -> None:
    store.close()
    other = create_profile(home, enroll_response("Trần Văn Bình", "dev-2"), CLOSED_SERVER, "1357")
    other.close()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        options = app.screen.query_one("#profiles", OptionList)
        names = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert sorted(names) == ["Lê Thị Đào", "Trần Văn Bình"]
        # Bình was enrolled last, so he is listed first; Đào's PIN does not open his profile.
        assert names[0] == "Trần Văn Bình"
        await pilot.press(*"2468", "enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*"1357", "enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.store is not None and app.store.profile.user_name == "Trần Văn Bình"


async def test_locks_after_idle_minutes_and_unlocks_with_pin(
    store: Store, make_app: AppFactory
) -> None:
    store.close()
    now = [1000.0]
    app = make_app(monotonic=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, HomeScreen)
        now[0] += app.settings.idle_lock_minutes * 60 - 1
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        now[0] += 2
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        # Nothing personal behind the lock: the locked screen has no profile list.
        assert not app.screen.query("#profiles")
        title = static_text(app.screen.query_one("#unlock-title", Static))
        assert title == "Máy đã tự khóa sau 10 phút không dùng."
        await pilot.press("n")  # home's "new entry" key does nothing while locked
        await pilot.press("backspace")
        await unlock(pilot, "1111")
        assert isinstance(app.screen, UnlockScreen)
        await unlock(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_a_notice_given_at_start_is_shown_in_the_users_language(
    store: Store, make_app: AppFactory
) -> None:
    notice = ("Dùng lại tình nguyện viên demo của lần trước.", "Using the demo volunteer again.")
    app = make_app(store=store, notice=notice)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [n.message for n in app._notifications] == [notice[0]]
        app.action_toggle_language()
        app.show_notice(notice, warning=True)
        await pilot.pause()
        shown = list(app._notifications)
        assert shown[-1].message == notice[1] and shown[-1].severity == "warning"


async def test_home_shows_its_figures_on_its_first_frame_after_the_pin(
    store: Store, make_app: AppFactory
) -> None:
    # Home's figures are read while argon2 checks the PIN, and shown only once it is right.
    store.close()
    app = make_app()
    seen: list[bool] = []

    def on_message(message: Message) -> None:
        if isinstance(message, events.ScreenResume) and isinstance(app.screen, HomeScreen):
            seen.append(app.status is not None)  # what home's first frame can show

    async with app.run_test(size=(80, 24), message_hook=on_message) as pilot:
        await settle(pilot)
        assert app.status is None  # nothing of the profile before the PIN
        await pilot.press(*"0000", "enter")
        await settle(pilot)
        assert app.status is None and isinstance(app.screen, UnlockScreen)
        await pilot.press(*"2468", "enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Đang tải" not in static_text(app.screen.query_one("#counts", Static))
    assert seen[:1] == [True]


def test_the_pin_check_reads_its_hash_without_sqlalchemy(store: Store, home: Path) -> None:
    # argon2 starts at once, while SQLAlchemy still loads for the home screen.
    store.close()
    database = profile_database(home, "le-thi-dao")
    code = (
        "import sys; from pathlib import Path; from fieldkit.pin import stored_pin_hash, "
        f"verify_pin; h = stored_pin_hash(Path({str(database)!r})); "
        "print(verify_pin(h, '2468'), verify_pin(h, '0000'), 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False"]
