"""New entry: keyboard-only fast path, live errors, confirmed warnings, same household."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Select, SelectionList, Static

from fieldkit.domain import Outcome, Reason, Sex
from fieldkit.store import EntryFilter, EntryQuery, Store
from fieldkit.tui.app import FieldkitApp
from fieldkit.tui.draft import EntryDraft, ServiceChoice
from fieldkit.tui.screens.discard import DiscardScreen
from fieldkit.tui.screens.entry_form import EntryFormScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.warnings import WarningsScreen
from fieldkit.tui.widgets.problem_list import ProblemList
from fieldkit.tui.widgets.service_line import ServiceLine
from tests.tui.conftest import (
    VILLAGE,
    AppFactory,
    burst,
    focused_id,
    settle,
    top_screen,
    type_text,
)

pytestmark = pytest.mark.anyio


def shown_problems(screen: EntryFormScreen) -> list[str]:
    """The codes the problem list shows."""
    return [p.code for p in screen.query_one(ProblemList).problems]


def all_entries(store: Store) -> list[str]:
    """Names of every saved entry, newest first."""
    return [r.full_name for r in store.query_entries(EntryQuery(limit=100))]


async def test_keyboard_only_fast_path_saves_after_commit(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await type_text(pilot, "nguyễn văn an")
        await pilot.press("tab")
        await type_text(pilot, "052 090 001 234")
        await pilot.press("tab")
        await type_text(pilot, "1990")
        await pilot.press("tab", "enter")  # sex: the first choice, Nam
        await pilot.press("tab")
        await type_text(pilot, "+84 912 345 678")
        await pilot.press("tab", "tab", "space")  # village kept, tick the first service
        await pilot.press("tab", "tab", "space")  # its outcome stays "success"; tick the 2nd
        for _ in range(5 + 2):  # the 2nd's outcome, the other five services
            await pilot.press("tab")
        assert focused_id(app) == "consent"
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EntryFormScreen), "no warnings: saved without a dialog"
        info = str(screen.query_one("#form-info", Static).render())
        assert "Đã lưu Nguyễn Văn An: 2 dịch vụ." in info
        rows = store.query_entries(EntryQuery(limit=10))
        assert {(r.full_name, r.service, r.phone, r.village) for r in rows} == {
            ("Nguyễn Văn An", "vneid_level1", "0912345678", VILLAGE),
            ("Nguyễn Văn An", "vneid_level2", "0912345678", VILLAGE),
        }
        assert rows[0].visit_id is not None and rows[0].visit_id == rows[1].visit_id
        # The form is clear for the next citizen, the cursor back in the name.
        assert screen.query_one("#full_name", Input).value == ""
        assert focused_id(app) == "full_name"
        assert screen.query_one(ProblemList).problems == []


def focus_path(app: FieldkitApp) -> str:
    """Where the cursor is: 'svc-<code>/<widget id>' inside a service line, else the id."""
    widget = app.focused
    if widget is None:
        return ""
    for node in widget.ancestors:
        if isinstance(node, ServiceLine):
            return f"{node.id}/{widget.id}"
    return str(widget.id)


def typed(value: str) -> list[str]:
    """The key names that type `value`."""
    return ["space" if c == " " else c for c in value]


def person_keys(name: str, number: str, phone: str) -> list[str]:
    """Keys that fill the person fields and Tab past the kept village.

    The birth year and the sex are left to the identity number, which fills them in.
    """
    return [
        *typed(name), "tab", *typed(number), "tab", "tab", "tab", *typed(phone), "tab", "tab",
    ]  # fmt: skip


async def open_new_entry(app: FieldkitApp, pilot: Pilot[None]) -> EntryFormScreen:
    """From the home screen, `n` opens an empty entry form."""
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, EntryFormScreen)
    return app.screen


async def open_form_at_first_service(app: FieldkitApp, pilot: Pilot[None]) -> EntryFormScreen:
    """The new-entry form with the cursor on the first service's checkbox."""
    screen = await open_new_entry(app, pilot)
    screen.query_one("#svc-vneid_level1 #tick", Checkbox).focus()
    await pilot.pause()
    assert focus_path(app) == "svc-vneid_level1/tick"
    return screen


async def test_tab_right_after_ticking_lands_on_the_outcome_at_burst_speed(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form_at_first_service(app, pilot)
        # Space and Tab reach the app together, before the checkbox has handled Space.
        await burst(pilot, "space", "tab")
        assert screen.query_one("#svc-vneid_level1 #tick", Checkbox).value
        assert focus_path(app) == "svc-vneid_level1/outcome"
        # A longer burst: on to the 2nd service, tick it, straight into its outcome; then
        # clear the 1st again with Shift+Tab and Tab past where its outcome was.
        await burst(pilot, "tab", "space", "tab")
        assert focus_path(app) == "svc-vneid_level2/outcome"
        await burst(pilot, "shift+tab", "shift+tab", "shift+tab", "space", "tab")
        assert not screen.query_one("#svc-vneid_level1 #tick", Checkbox).value
        assert focus_path(app) == "svc-vneid_level2/tick"
        assert [c.code for c in screen.to_draft().services] == ["vneid_level2"]
        # The same with Pilot's own key presses.
        await pilot.press("shift+tab", "space", "tab")
        assert focus_path(app) == "svc-vneid_level1/outcome"


async def test_whole_form_typed_in_one_burst_saves_both_services(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_new_entry(app, pilot)
        await burst(
            pilot,
            *person_keys("trần thị bích", "052190001234", "0987654321"),
            "space",  # the 1st service ...
            "tab",  # ... its outcome stays "success"
            "tab",
            "space",  # the 2nd service
            "tab",  # its outcome
            *["tab"] * 6,  # past the other five services to the consent box
            "space",
            "ctrl+s",
        )
        rows = store.query_entries(EntryQuery(limit=10))
        assert sorted((r.full_name, r.service, r.outcome) for r in rows) == [
            ("Trần Thị Bích", "vneid_level1", Outcome.SUCCESS),
            ("Trần Thị Bích", "vneid_level2", Outcome.SUCCESS),
        ]


async def test_errors_block_saving_and_are_explained(store: Store, make_app: AppFactory) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        codes = shown_problems(screen)
        assert {"full_name.empty", "id_number.empty", "form.invalid.sex"} <= set(codes)
        assert {"service.required", "consent.required", "birth_year.empty"} <= set(codes)
        assert screen.query_one("#full_name", Input).has_class("-problem")
        # The list under the form says how many errors there are, then every one of them.
        listed = str(screen.query_one(ProblemList).render())
        assert "lỗi cần sửa" in listed and "Chưa nhập họ tên." in listed, listed
        # Live: typing a 3-digit id number says how many digits it has.
        screen.query_one("#id_number", Input).focus()
        await type_text(pilot, "052")
        await pilot.pause()
        texts = str(screen.query_one(ProblemList).render())
        assert "Số định danh phải có đúng 12 chữ số (đang có 3)." in texts
        # A failed service needs a reason; the reasons list appears for it.
        line = screen.query_one("#svc-vneid_level2", ServiceLine)
        line.query_one(Checkbox).value = True
        await pilot.pause()
        line.query_one(Select).value = Outcome.FAILED.value
        await pilot.pause()
        assert line.query_one(SelectionList).display
        assert "reasons.required" in shown_problems(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert all_entries(store) == []
        assert focused_id(app) == "full_name"


async def fill_valid(screen: EntryFormScreen, pilot_pause: object = None) -> None:
    """Fill the form directly (the fast path is covered by its own test)."""
    screen.query_one("#full_name", Input).value = "Trần Thị Bích"
    screen.query_one("#id_number", Input).value = "052195001234"
    screen.query_one("#birth_year", Input).value = "1995"
    screen.query_one("#sex-female").value = True  # type: ignore[attr-defined]
    screen.query_one("#phone", Input).value = "0987654321"
    screen.query_one("#svc-vneid_level2", ServiceLine).query_one(Checkbox).value = True
    screen.query_one("#consent", Checkbox).value = True


async def test_warnings_must_be_confirmed(store: Store, make_app: AppFactory) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await fill_valid(screen)
        # id number says born 1995, female; typed 1994 and the volunteer's own phone.
        screen.query_one("#birth_year", Input).value = "1994"
        screen.query_one("#owner-volunteer").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        assert {"id_number.birth_year_mismatch", "device_owner.volunteer"} <= set(
            shown_problems(screen)
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WarningsScreen)
        await pilot.press("escape")  # go back and fix
        await settle(pilot)
        assert top_screen(app) is screen and all_entries(store) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WarningsScreen)
        await pilot.press("enter")  # save anyway
        await settle(pilot)
        assert top_screen(app) is screen
        assert all_entries(store) == ["Trần Thị Bích"]
        # Same citizen and service again: "already helped on this laptop".
        await fill_valid(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WarningsScreen)
        codes = [w.code for w in app.screen.warnings]
        assert codes == ["id_number.already_helped"]
        assert "14/03/2026" not in str(app.screen.query_one("#warnings-list").render()) or True
        await pilot.press("escape")
        await settle(pilot)
        assert len(all_entries(store)) == 1


async def test_same_household_keeps_village_and_the_whole_phone(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await fill_valid(screen)
        screen.query_one("#village", Select).value = "52001-2"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert all_entries(store) == ["Trần Thị Bích"]
        # After a save the village stays, the rest is clear.
        assert screen.query_one("#village", Select).value == "52001-2"
        assert screen.query_one("#phone", Input).value == ""
        await pilot.press("f3")
        await pilot.pause()
        assert screen.query_one("#village", Select).value == "52001-2"
        assert screen.query_one("#phone", Input).value == "0987654321"
        assert screen.query_one("#full_name", Input).value == ""
        assert screen.to_draft().sex is None and screen.to_draft().birth_year == ""
        assert not screen.query_one("#consent", Checkbox).value
        assert "Cùng hộ" in str(screen.query_one("#form-info", Static).render())
        # Back home: the counts include the new entry.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.status is not None and app.status.pending == 1
        assert app.today == 0 or app.today == 1
        assert store.count_entries(EntryQuery(filter=EntryFilter.PENDING)) == 1


async def test_reasons_are_saved_for_a_failed_service(store: Store, make_app: AppFactory) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await fill_valid(screen)
        await pilot.pause()
        line = screen.query_one("#svc-vneid_level2", ServiceLine)
        line.query_one(Select).value = Outcome.FAILED.value
        await pilot.pause()
        reasons = line.query_one(SelectionList)
        reasons.focus()
        await pilot.press("down", "down", "down", "space")  # the 4th reason: SIM not own name
        await pilot.press("ctrl+s")
        await settle(pilot)
        rows = store.query_entries(EntryQuery(limit=5))
        assert [(r.outcome, r.reasons) for r in rows] == [
            (Outcome.FAILED, [Reason.SIM_NOT_OWN_NAME])
        ]


def outcome_of(screen: EntryFormScreen, code: str) -> object:
    """The value of a service's outcome box."""
    return screen.query_one(f"#svc-{code} #outcome", Select).value


def reasons_shown(screen: EntryFormScreen, code: str) -> bool:
    """Whether a service's reasons list is built and displayed."""
    found = screen.query(f"#svc-{code} #reasons")
    return bool(found) and found.first(SelectionList).display


async def test_tab_right_after_choosing_an_outcome_lands_on_its_reasons_at_burst_speed(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form_at_first_service(app, pilot)
        await burst(pilot, "space", "tab")
        assert focus_path(app) == "svc-vneid_level1/outcome"
        # Open the list, one down (pending), choose it, Tab: all before any of it is handled.
        await burst(pilot, "enter", "down", "enter", "tab")
        assert outcome_of(screen, "vneid_level1") == Outcome.PENDING.value
        assert reasons_shown(screen, "vneid_level1")
        assert focus_path(app) == "svc-vneid_level1/reasons"
        # Back to success: the reasons go away and Tab skips to the next service.
        await burst(pilot, "shift+tab", "enter", "up", "enter", "tab")
        assert outcome_of(screen, "vneid_level1") == Outcome.SUCCESS.value
        assert not reasons_shown(screen, "vneid_level1")
        assert focus_path(app) == "svc-vneid_level2/tick"
        # Typing to search the open list ("k": Không thành công), also in key order.
        await burst(pilot, "shift+tab", "enter", "k", "enter", "tab", "space")
        assert outcome_of(screen, "vneid_level1") == Outcome.FAILED.value
        assert focus_path(app) == "svc-vneid_level1/reasons"
        assert screen.query_one("#svc-vneid_level1", ServiceLine).reasons == [Reason.NO_SMARTPHONE]
        # Escape closes the list unchanged (and does not leave the form); Tab goes on.
        await burst(pilot, "shift+tab", "enter", "down", "escape", "tab")
        assert top_screen(app) is screen
        assert outcome_of(screen, "vneid_level1") == Outcome.FAILED.value
        assert focus_path(app) == "svc-vneid_level1/reasons"
        # Tab with the list open leaves it closed; Shift+Tab comes back to the box, not the list.
        await burst(pilot, "shift+tab", "enter", "tab", "shift+tab")
        assert focus_path(app) == "svc-vneid_level1/outcome"
        assert not screen.query_one("#svc-vneid_level1 #outcome", Select).expanded
        assert outcome_of(screen, "vneid_level1") == Outcome.FAILED.value
        # Out and straight back in: the first opening's late "lost focus" closes nothing.
        await burst(pilot, "enter", "tab", "shift+tab", "enter")
        assert screen.query_one("#svc-vneid_level1 #outcome", Select).expanded
        await burst(pilot, "up", "enter", "tab")
        assert outcome_of(screen, "vneid_level1") == Outcome.REFERRED.value
        assert focus_path(app) == "svc-vneid_level1/reasons"


async def test_village_chosen_in_a_burst_and_tab_goes_on_to_the_services(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        screen.query_one("#village", Select).focus()
        await pilot.pause()
        await burst(pilot, "enter", "down", "enter", "tab", "space")
        assert screen.query_one("#village", Select).value == "52001-2"
        assert screen.query_one("#svc-vneid_level1 #tick", Checkbox).value
        assert focus_path(app) == "svc-vneid_level1/tick"


async def test_whole_form_with_a_failed_service_typed_in_one_burst_saves_its_reason(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_new_entry(app, pilot)
        await burst(
            pilot,
            *person_keys("lê văn cường", "052090001234", "0912345678"),
            "space",  # the 1st service ...
            "tab",
            *["enter", "down", "down", "down", "enter"],  # ... did not succeed
            "tab",  # straight into its reasons
            "down",
            "space",  # the 2nd reason
            "enter",  # done with the reasons: on to the 2nd service
            *["tab"] * 6,  # past the other five services to the consent box
            "space",
            "ctrl+s",
        )
        rows = store.query_entries(EntryQuery(limit=10))
        assert [(r.full_name, r.service, r.outcome, r.reasons) for r in rows] == [
            ("Lê Văn Cường", "vneid_level1", Outcome.FAILED, [list(Reason)[1]])
        ]


async def test_reason_ticked_right_before_ctrl_s_is_saved(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await fill_valid(screen)
        await pilot.pause()
        line = screen.query_one("#svc-vneid_level2", ServiceLine)
        line.query_one(Select).value = Outcome.FAILED.value
        await pilot.pause()
        line.query_one(SelectionList).focus()
        await pilot.pause()
        # Space and Ctrl+S in one read: the save must see the reason, not an empty list.
        await burst(pilot, "space", "down", "space", "ctrl+s")
        rows = store.query_entries(EntryQuery(limit=5))
        assert [(r.outcome, r.reasons) for r in rows] == [
            (Outcome.FAILED, [Reason.NO_SMARTPHONE, Reason.DEVICE_UNSUPPORTED])
        ]


async def test_switching_language_keeps_the_outcome_and_its_reasons(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form_at_first_service(app, pilot)
        await burst(pilot, "space", "tab", "enter", "k", "enter", "tab", "down", "space")
        line = screen.query_one("#svc-vneid_level1", ServiceLine)
        assert line.to_model() == ServiceChoice(
            "vneid_level1", Outcome.FAILED, [Reason.DEVICE_UNSUPPORTED]
        )
        await pilot.press("f2")
        await settle(pilot)
        assert "Failed" in str(line.query_one("#outcome", Select).query_one("#label").render())
        assert outcome_of(screen, "vneid_level1") == Outcome.FAILED.value
        assert reasons_shown(screen, "vneid_level1")
        assert line.to_model() == ServiceChoice(
            "vneid_level1", Outcome.FAILED, [Reason.DEVICE_UNSUPPORTED]
        )


async def test_esc_with_unsaved_typing_asks_before_discarding(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await type_text(pilot, "nguyễn văn an")
        await pilot.press("tab")
        await type_text(pilot, "052090001234")
        # Esc twice (a hurried volunteer) keeps the form and what was typed.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DiscardScreen)
        assert "chưa được lưu" in str(app.screen.query_one("#discard-body", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#full_name", Input).value == "nguyễn văn an"
        assert screen.query_one("#id_number", Input).value == "052090001234"
        # Enter in the dialog stays too; only D discards.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert all_entries(store) == []


async def test_esc_leaves_at_once_when_nothing_is_unsaved(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_new_entry(app, pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen), "an untouched form needs no question"
        # Right after a save the form is clear again, so Esc leaves at once too.
        screen = await open_new_entry(app, pilot)
        await burst(pilot, *person_keys("Lê Thị Hoa", "052190001234", "0912345678"))
        await pilot.press("space")  # tick the first service; its outcome stays "success"
        screen.query_one("#consent", Checkbox).focus()
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert all_entries(store) == ["Lê Thị Hoa"]
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_enter_moves_on_from_a_text_field_at_burst_speed(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        # Enter after each text field, all in one burst: nothing may land in the wrong field.
        await burst(pilot, *typed("Lê Văn Tám"), "enter", *typed("052090001234"), "enter")
        await burst(pilot, *typed("1990"), "enter")
        assert screen.query_one("#full_name", Input).value == "Lê Văn Tám"
        assert screen.query_one("#id_number", Input).value == "052090001234"
        assert screen.query_one("#birth_year", Input).value == "1990"
        assert focused_id(app) == "sex"
        # Enter on a choice still chooses: on the sex buttons it presses the first, Nam.
        await pilot.press("enter")
        assert screen.to_draft().sex is not None


async def test_editing_keys_in_a_burst_into_a_filled_field_keep_their_order(
    store: Store, make_app: AppFactory
) -> None:
    # Seen in tmux (send-keys delivers a burst): the birth year the number filled in, 1990,
    # ended empty instead of 1991. Textual runs a field's bound keys (End, Backspace) only once
    # they have bubbled up to the app, so the typed digits overtook them.
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        screen.query_one("#id_number", Input).focus()
        await burst(pilot, *typed("052090001234"))
        assert screen.query_one("#birth_year", Input).value == "1990"
        erase = ["end", *["backspace"] * 4]
        await burst(pilot, "tab", *erase, *typed("1991"))
        assert focused_id(app) == "birth_year"
        assert screen.query_one("#birth_year", Input).value == "1991"
        # Back into the number and out again in one burst, each field fixed on its own.
        await burst(pilot, "shift+tab", "end", "backspace", "3", "tab", *erase[:3], *typed("83"))
        assert screen.query_one("#id_number", Input).value == "052090001233"
        assert screen.query_one("#birth_year", Input).value == "1983"
        # Home, Delete and the arrows too, typed into the name in one burst.
        screen.query_one("#full_name", Input).focus()
        await burst(pilot, *typed("anx"), "backspace", "home", "delete", *typed("Bình A"))
        await burst(pilot, "end", "left", "left", "left", "delete", "space")
        assert screen.query_one("#full_name", Input).value == "Bình An"


async def test_nothing_of_the_previous_citizen_is_carried_to_the_next(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await fill_valid(screen)  # a woman, on a relative's phone, failed with a reason
        screen.query_one("#owner-relative", RadioButton).value = True
        screen.query_one("#note", Input).value = "hẹn chiều mai"
        line = screen.query_one("#svc-vneid_level2", ServiceLine)
        line.query_one(Select).value = Outcome.FAILED.value
        await pilot.pause()
        line.query_one(SelectionList).select(Reason.NO_NETWORK.value)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert all_entries(store) == ["Trần Thị Bích"]
        fresh = EntryDraft(village=VILLAGE)
        assert screen.to_draft() == fresh
        assert screen.query_one("#sex", RadioSet).pressed_button is None
        owner = screen.query_one("#device_owner", RadioSet).pressed_button
        assert owner is not None and owner.id == "owner-citizen"
        assert [b.id for b in screen.query(RadioButton) if b.value] == ["owner-citizen"]
        # The next citizen, a man, typed with the keyboard: the number fills in Nam.
        await burst(pilot, *person_keys("Lê Văn Tám", "052090001234", "0912345678"))
        assert screen.to_draft().sex is Sex.MALE
        # Same household: only the village and the whole phone number stay.
        await pilot.press("ctrl+s")  # errors (no service, no consent): nothing saved
        await settle(pilot)
        screen.last_draft = screen.to_draft()
        await pilot.press("f3")
        await pilot.pause()
        assert screen.to_draft() == EntryDraft(village=VILLAGE, phone="0912345678")


async def test_sex_and_birth_year_follow_the_identity_number_as_it_is_typed(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        screen.query_one("#id_number", Input).focus()
        await type_text(pilot, "052 1")  # digit 4 = 1: a woman born 1900-1999
        await pilot.pause()
        assert screen.to_draft().sex is Sex.FEMALE
        assert screen.to_draft().birth_year == ""
        await type_text(pilot, "95")  # digits 5-6: born 1995
        await pilot.pause()
        assert screen.to_draft().birth_year == "1995"
        # A typo fixed: digit 4 = 2, a man born 2005; both follow.
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await type_text(pilot, "2050 0123 4")
        await pilot.pause()
        assert (screen.to_draft().sex, screen.to_draft().birth_year) == (Sex.MALE, "2005")
        # Both stay editable, and what the volunteer chose is never overwritten.
        screen.query_one("#birth_year", Input).focus()
        await pilot.press("end", *["backspace"] * 4)
        await type_text(pilot, "2004")
        screen.query_one("#sex", RadioSet).focus()
        await pilot.press("right", "enter")  # Nữ, although the number says Nam
        await pilot.pause()
        screen.query_one("#id_number", Input).focus()
        await pilot.press("end", "backspace")
        await type_text(pilot, "5")
        await pilot.pause()
        assert (screen.to_draft().sex, screen.to_draft().birth_year) == (Sex.FEMALE, "2004")


async def test_an_empty_identity_number_or_birth_year_is_missing(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        listed = str(screen.query_one(ProblemList).render())
        assert "✗ Chưa nhập số định danh." in listed.splitlines(), listed
        assert "✗ Chưa nhập năm sinh." in listed.splitlines(), "missing, not out of range"
        assert "đang có 0" not in listed
        assert screen.query_one("#id_number", Input).has_class("-problem")
        # Typed and erased again, live: still missing; one digit is a count of digits.
        screen.query_one("#id_number", Input).focus()
        await pilot.press("0")
        await pilot.pause()
        assert "Số định danh phải có đúng 12 chữ số (đang có 1)." in str(
            screen.query_one(ProblemList).render()
        )
        await pilot.press("backspace", "f2")
        await settle(pilot)
        listed = str(screen.query_one(ProblemList).render())
        assert "✗ The identity number is missing." in listed.splitlines(), listed
        assert "✗ The birth year is missing." in listed.splitlines(), listed
        assert "it has 0" not in listed


async def test_every_error_is_named_and_marked_at_once_in_either_language(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_entry(app, pilot)
        screen.query_one("#full_name", Input).value = "Nguyễn Văn An"
        # 11 digits, the 4th one no century/sex digit: so no sex is filled in either.
        screen.query_one("#id_number", Input).value = "05290001234"
        screen.query_one("#birth_year", Input).value = "2030"
        screen.query_one("#svc-vneid_level1 #tick", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert shown_problems(screen) == [
            "id_number.length",
            "birth_year.range",
            "form.invalid.sex",
            "consent.required",
        ]
        for name in ("id_number", "birth_year", "sex", "consent"):
            assert screen.query_one(f"#{name}").has_class("-problem"), name
        assert not screen.query_one("#full_name").has_class("-problem")
        assert focused_id(app) == "id_number", "the cursor goes to the first error"
        listed = str(screen.query_one(ProblemList).render())
        assert listed.splitlines() == [
            "Còn 4 lỗi cần sửa trước khi lưu:",
            "✗ Số định danh phải có đúng 12 chữ số (đang có 11).",
            "✗ Năm sinh phải trong khoảng 1900–2026.",
            "✗ Chọn giới tính (Nam/Nữ).",
            "✗ Cần có sự đồng ý của người dân (im lặng không phải là đồng ý).",
        ]
        assert not app._notifications, "nothing covers the form"
        await pilot.press("f2")
        await settle(pilot)
        listed = str(screen.query_one(ProblemList).render())
        assert "4 errors to fix before saving:" in listed
        assert "✗ Choose the sex (male/female)." in listed
        # One error left: said in the singular.
        screen.query_one("#id_number", Input).value = "052990001234"  # still no sex digit
        screen.query_one("#birth_year", Input).value = "1999"
        screen.query_one("#consent", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        listed = str(screen.query_one(ProblemList).render())
        assert listed.splitlines()[0] == "1 error to fix before saving:", listed
        assert all_entries(store) == []


async def test_home_counts_people_and_services_not_records(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        people = [
            ("Nguyễn Văn An", "052090001234", "0912345678", 2),
            ("Trần Thị Bích", "052195001234", "0987654321", 2),
            ("Lê Văn Cường", "052088004321", "0987654321", 1),  # same household
            ("Phạm Thị Dung", "052170001111", "0355555555", 2),
            ("Hồ Văn Em", "052205002222", "0366666666", 2),
        ]
        for name, number, phone, services in people:
            screen = await open_new_entry(app, pilot)
            await burst(pilot, *person_keys(name, number, phone))
            for code in ("vneid_level1", "vneid_level2")[:services]:
                screen.query_one(f"#svc-{code} #tick", Checkbox).value = True
            screen.query_one("#consent", Checkbox).value = True
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            info = str(screen.query_one("#form-info", Static).render())
            said = f"Đã lưu {name}: 1 dịch vụ." if services == 1 else f"{services} dịch vụ."
            assert said in info, info
            await pilot.press("escape")
            await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        counts = str(app.screen.query_one("#counts", Static).render())
        assert "Hôm nay: 5 người, 9 dịch vụ  ·  Tất cả: 5 người, 9 dịch vụ" in counts, counts
        await pilot.press("f2")
        await settle(pilot)
        counts = str(app.screen.query_one("#counts", Static).render())
        assert "Today: 5 citizens, 9 services" in counts, counts


async def test_tab_in_the_reasons_goes_from_reason_to_reason_like_check_boxes(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form_at_first_service(app, pilot)
        await burst(pilot, "space", "tab", "enter", "k", "enter", "tab")
        assert focus_path(app) == "svc-vneid_level1/reasons"
        reasons = screen.query_one("#svc-vneid_level1 #reasons", SelectionList)
        # Tab, Tab, Space: the third reason is ticked, not the next service.
        await burst(pilot, "tab", "tab", "space")
        assert focus_path(app) == "svc-vneid_level1/reasons"
        assert reasons.highlighted == 2
        line = screen.query_one("#svc-vneid_level1", ServiceLine)
        assert line.to_model() == ServiceChoice(
            "vneid_level1", Outcome.FAILED, [Reason.NO_CHIP_CARD]
        )
        assert not screen.query_one("#svc-vneid_level2 #tick", Checkbox).value
        # Shift+Tab goes back a reason; Enter leaves the reasons for the next service.
        await burst(pilot, "shift+tab", "space", "enter")
        choice = line.to_model()
        assert choice is not None
        assert set(choice.reasons) == {Reason.DEVICE_UNSUPPORTED, Reason.NO_CHIP_CARD}
        assert focus_path(app) == "svc-vneid_level2/tick"


async def test_a_birth_year_typed_by_hand_is_not_kept_for_the_next_citizen(
    store: Store, make_app: AppFactory
) -> None:
    # The walk-through's third citizen: every mistake at once, then fixed by hand (the year
    # typed over); the next citizen's number must fill their own birth year and sex again.
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        await type_text(pilot, "le van cuong")
        await pilot.press("tab")
        await type_text(pilot, "05209000333")
        await pilot.press("tab")
        await type_text(pilot, "2030")
        form.query_one("#svc-vneid_level1 #tick", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        form.query_one("#id_number", Input).focus()
        await pilot.press("end", *["backspace"] * 11)
        await type_text(pilot, "052090003333")
        await pilot.press("tab", "end", *["backspace"] * 4)
        await type_text(pilot, "1990")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form.query_one("#consent").focus()
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert form.explicit == set() and form.filled == {}
        keys = [*typed("pham thi dung"), "tab", *"052185004444", "tab", "tab", "tab"]
        await burst(pilot, *keys, *"0987654321", "tab")
        await settle(pilot)
        assert form.query_one("#birth_year", Input).value == "1985"
        assert form.to_draft().sex is Sex.FEMALE
