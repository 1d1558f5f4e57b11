"""Vietnamese by default; F2 switches every label, message and key to English and back."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, Label, Select, Static
from textual.widgets._select import SelectCurrent

from fieldkit.store import Store
from fieldkit.tui.i18n import LABELS, outcome_text, tr
from fieldkit.tui.screens.entry_form import EntryFormScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.widgets.problem_list import ProblemList
from fieldkit.tui.widgets.service_line import ServiceLine
from tests.tui.conftest import AppFactory, settle, static_text

pytestmark = pytest.mark.anyio


def footer_descriptions(app: object) -> set[str]:
    """The descriptions of the bindings the footer shows now."""
    bindings = app.active_bindings  # type: ignore[attr-defined]
    return {b.binding.description for b in bindings.values() if b.binding.show}


async def test_f2_switches_the_whole_app_to_english_and_back(
    store: Store, make_app: AppFactory
) -> None:
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert "Hôm nay: 0 người, 0 dịch vụ" in static_text(home.query_one("#counts", Static))
        assert {"Nhập mới", "Danh sách", "Đồng bộ", "English"} <= footer_descriptions(app)
        await pilot.press("f2")
        await pilot.pause()
        assert app.ui_lang == "en"
        assert "Today: 0 citizens, 0 services" in static_text(home.query_one("#counts", Static))
        assert "Last sync: never" in static_text(home.query_one("#last-sync", Static))
        assert {"New entry", "Entries", "Sync", "Việt ngữ"} <= footer_descriptions(app)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        assert str(form.query_one("#lbl-full_name", Label).content) == "Full name"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = static_text(form.query_one(ProblemList))
        assert "The name is empty." in shown and "Chưa nhập" not in shown
        # Switching while the form holds data keeps the data and relabels everything.
        form.query_one("#full_name", Input).value = "Hồ Văn Tú"
        line = form.query_one("#svc-vneid_level1", ServiceLine)
        line.query_one(Checkbox).value = True
        await pilot.press("f2")
        await pilot.pause()
        assert str(form.query_one("#lbl-full_name", Label).content) == "Họ và tên"
        assert form.query_one("#full_name", Input).value == "Hồ Văn Tú"
        assert str(line.query_one(Checkbox).label) == "VNeID mức 1"  # short: 80 columns
        assert line.query_one(Checkbox).value
        assert "Chưa nhập họ tên." not in static_text(form.query_one(ProblemList))
        assert "Cần có sự đồng ý" in static_text(form.query_one(ProblemList))
        assert {"Lưu", "Cùng hộ", "Về"} <= footer_descriptions(app)


def test_catalogue_has_both_languages_and_no_empty_labels() -> None:
    for key, (vi, en) in LABELS.items():
        assert vi.strip() and en.strip(), key
    assert tr("home.online", "vi") != tr("home.online", "en")
    assert tr("no.such.key", "vi") == "no.such.key"
    assert tr("consent.required", "en").startswith("The citizen's consent")


async def test_english_by_setting(store: Store, make_app: AppFactory) -> None:
    app = make_app(store=store, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Today: 0 citizens, 0 services" in static_text(
            app.screen.query_one("#counts", Static)
        )


async def test_f2_after_a_save_says_the_save_and_the_chosen_outcome_in_english(
    store: Store, make_app: AppFactory
) -> None:
    # Seen in tmux: after a save, F2 left "✓ Đã lưu …" above the form and a ticked
    # service's outcome box still said "Thành công" (Select kept the old label).
    app = make_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryFormScreen)
        form.query_one("#full_name", Input).value = "Nguyễn Văn An"
        form.query_one("#id_number", Input).value = "052090001234"
        form.query_one("#svc-vneid_level1 #tick", Checkbox).value = True
        form.query_one("#consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        info = form.query_one("#form-info", Static)
        assert "Đã lưu Nguyễn Văn An: 1 dịch vụ." in static_text(info)
        form.query_one("#svc-vneid_level2 #tick", Checkbox).value = True  # the next citizen's
        await pilot.pause()
        outcome = form.query_one("#svc-vneid_level2 #outcome", Select)
        assert static_text(outcome.query_one(SelectCurrent).query_one(Static)) == "Thành công"
        await pilot.press("f2")
        await pilot.pause()
        said = static_text(info)
        assert "Saved Nguyễn Văn An: 1 service." in said and "Same household" in said
        assert "Đã lưu" not in said
        shown = static_text(outcome.query_one(SelectCurrent).query_one(Static))
        assert shown == outcome_text("success", "en") != "Thành công", shown
        assert outcome.value == "success"
        await pilot.press("f3")  # the household hint follows the language too
        await pilot.pause()
        assert static_text(info) == tr("form.household_hint", "en")
        await pilot.press("f2")
        await pilot.pause()
        assert static_text(info) == tr("form.household_hint", "vi")
