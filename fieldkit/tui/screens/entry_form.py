"""New entry (and fixing one): keyboard-only, validated live by the domain rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState

from fieldkit.domain import DeviceOwner, Entry, Problem, Sex, decode_id_number
from fieldkit.domain.catalogue import DEFAULT_SERVICES
from fieldkit.tui.draft import DraftCheck, EntryDraft, check_draft
from fieldkit.tui.i18n import both, tr
from fieldkit.tui.messages import EntriesChanged, StatusNote
from fieldkit.tui.screens.base import FieldkitScreen, key
from fieldkit.tui.screens.discard import DiscardScreen
from fieldkit.tui.screens.warnings import WarningsScreen
from fieldkit.tui.widgets.form_checkbox import FormCheckbox
from fieldkit.tui.widgets.form_input import FormInput
from fieldkit.tui.widgets.form_radio_set import FormRadioSet
from fieldkit.tui.widgets.form_select import FormSelect, FormSelectionList
from fieldkit.tui.widgets.problem_list import ProblemList
from fieldkit.tui.widgets.service_line import ServiceLine
from fieldkit.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from fieldkit.store import EntryRow

TEXT_FIELDS = ("full_name", "id_number", "birth_year", "phone", "note")
FOCUS_ORDER = ("full_name", "id_number", "birth_year", "sex", "phone", "village", "consent", "note")
OWNERS = (DeviceOwner.CITIZEN, DeviceOwner.RELATIVE, DeviceOwner.VOLUNTEER)
# Errors are listed in the order of the fields on the form.
FIELD_RANK = {
    name: i
    for i, name in enumerate(
        [*FOCUS_ORDER[:6], "services", "reasons", *FOCUS_ORDER[6:], "device_owner"]
    )
}


class EntryFormScreen(FieldkitScreen):
    """One citizen, one or more services; errors block saving, warnings must be confirmed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+s", "save", "save"),
        # Tab and Shift+Tab move like FOCUS_KEYS, except through a service's reasons, which
        # look like check boxes and so take Tab from one to the next like check boxes.
        Binding("tab", "tab(1)", show=False, priority=True),
        Binding("shift+tab", "tab(-1)", show=False, priority=True),
        # Enter in a text field (or the reasons) moves on at once, like Tab (see check_action):
        # left to the widget, it moved focus only after the keys already queued had reached it.
        Binding("enter", "next_field", show=False, priority=True),
        key("f3", "household", "household"),
        key("escape", "back", "back"),
    ]

    class Prechecked(Message):
        """The store's warnings (already helped here, shared phone) are known."""

        def __init__(self, entries: list[Entry], warnings: list[Problem]) -> None:
            self.entries = entries
            self.warnings = warnings
            super().__init__()

    class Saved(Message):
        """The entries are committed."""

        def __init__(self, entries: list[Entry]) -> None:
            self.entries = entries
            super().__init__()

    def __init__(self, editing: EntryRow | None = None) -> None:
        super().__init__()
        self.editing = editing
        self.touched: set[str] = set()
        # Fields the volunteer set by hand, and what the identity number filled in.
        self.explicit: set[str] = set()
        self.filled: dict[str, str] = {}
        self.show_all = False
        self.last_draft: EntryDraft | None = None
        self.last_check: DraftCheck | None = None
        self.said: Callable[[str], str] | None = None

    # -- layout -----------------------------------------------------------------------------

    def _service_codes(self) -> list[str]:
        if self.editing is not None:
            return [self.editing.service]
        services = self.shared.services or list(DEFAULT_SERVICES)
        return [s.code for s in services if s.active]

    def compose(self) -> ComposeResult:
        """Labels and fields in a grid, then services, consent, phone owner and problems."""
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(id="form-info", classes="info")
            with Grid(classes="form-grid", id="person"):
                yield Label(id="lbl-full_name")
                yield FormInput(id="full_name", compact=True, max_length=100)
                yield Label(id="lbl-id_number")
                yield FormInput(id="id_number", compact=True, max_length=20, restrict=r"[0-9 .\-]*")
                yield Label(id="lbl-birth_year")
                yield FormInput(id="birth_year", compact=True, max_length=4, restrict=r"[0-9]*")
                yield Label(id="lbl-sex")
                with FormRadioSet(id="sex", compact=True):
                    yield RadioButton(id="sex-male", compact=True)
                    yield RadioButton(id="sex-female", compact=True)
                yield Label(id="lbl-phone")
                yield FormInput(id="phone", compact=True, max_length=20, restrict=r"[0-9 .+\-]*")
                yield Label(id="lbl-village")
                yield FormSelect[str](self._village_options(), id="village", compact=True)
            yield Static(id="lbl-services", classes="section")
            for code in self._service_codes():
                yield ServiceLine(code, lang=self.lang, id=f"svc-{code}")
            yield FormCheckbox(id="consent", compact=True)
            with Grid(classes="form-grid", id="note-grid"):
                yield Label(id="lbl-device_owner")
                with FormRadioSet(id="device_owner", compact=True):
                    for owner in OWNERS:
                        yield RadioButton(id=f"owner-{owner.value}", compact=True)
                yield Label(id="lbl-note")
                yield FormInput(id="note", compact=True, max_length=500)
        yield ProblemList(id="problems")
        yield StatusLine(id="status-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Fill the village list and the fields (edit mode) and focus the name."""
        if self.editing is not None:
            self.load_draft(EntryDraft.from_entry(self.editing.to_entry()))
            self.show_all = True
            # Masked once the server had it: the number stays, every other field can change.
            self.query_one("#id_number", Input).disabled = not self.editing.number_editable
        else:
            self.load_draft(EntryDraft(village=self.default_village()))
        self.query_one("#full_name", Input).focus()

    def on_resize(self) -> None:
        """A resized terminal: long service labels where they fit, else short ones."""
        for line in self.query(ServiceLine):
            line.fit_label()

    def _village_options(self) -> list[tuple[str, str]]:
        store = self.shared.store
        if store is None:
            return []
        return [(v.name or v.code, v.code) for v in store.profile.villages]

    def default_village(self) -> str:
        """The volunteer's village."""
        store = self.shared.store
        if store is None:
            return ""
        profile = store.profile
        if profile.default_village:
            return profile.default_village
        return profile.villages[0].code if profile.villages else ""

    def apply_language(self, lang: str) -> None:
        """Relabel every field and re-explain the problems."""
        self.title = tr("form.edit_title" if self.editing else "form.new_title", lang)
        for name in (*TEXT_FIELDS, "sex", "village", "device_owner"):
            self.query_one(f"#lbl-{name}", Label).update(tr(f"form.{name}", lang))
        self.query_one("#lbl-services", Static).update(tr("form.services", lang))
        self.query_one("#sex-male", RadioButton).label = tr("form.male", lang)
        self.query_one("#sex-female", RadioButton).label = tr("form.female", lang)
        self.query_one("#consent", Checkbox).label = tr("form.consent", lang)
        for owner in OWNERS:
            button = self.query_one(f"#owner-{owner.value}", RadioButton)
            button.label = tr(f"form.owner.{owner.value}", lang)
        for line in self.query(ServiceLine):
            line.lang = lang
        self.query_one(ProblemList).lang = lang
        self._show_info(lang)

    def say(self, words: Callable[[str], str] | None) -> None:
        """The line above the form (what was saved, the household hint…), given as a function
        of the language so a switch (F2) says it again in the other one; None clears it."""
        self.said = words
        self._show_info(self.lang)

    def _show_info(self, lang: str) -> None:
        info = self.query_one("#form-info", Static)
        row = self.editing
        if row is None:
            info.update(Text(self.said(lang)) if self.said is not None else "")
            return
        reason = row.review_reason or row.reject_message or ""
        if row.reject_code and not row.reject_message:
            reason = tr(row.reject_code, lang)
        text = tr("form.edit_title", lang)
        if reason:
            text = f"{tr('form.rejected_reason', lang)}: {reason}"
        info.update(Text(text))  # the reason is the server's text: never read as markup
        info.set_class(bool(reason), "-rejected")

    # -- model ------------------------------------------------------------------------------

    def to_draft(self) -> EntryDraft:
        """The form's state as plain data."""
        sex_set = self.query_one("#sex", RadioSet)
        sex = None
        if sex_set.pressed_button is not None:
            sex = Sex.MALE if sex_set.pressed_button.id == "sex-male" else Sex.FEMALE
        owner_button = self.query_one("#device_owner", RadioSet).pressed_button
        owner = DeviceOwner.CITIZEN
        if owner_button is not None and owner_button.id:
            owner = DeviceOwner(owner_button.id.removeprefix("owner-"))
        village = self.query_one("#village", Select).value
        choices = [line.to_model() for line in self.query(ServiceLine)]
        return EntryDraft(
            full_name=self.query_one("#full_name", Input).value,
            id_number=self.query_one("#id_number", Input).value,
            birth_year=self.query_one("#birth_year", Input).value,
            sex=sex,
            phone=self.query_one("#phone", Input).value,
            village=village if isinstance(village, str) else "",
            services=[c for c in choices if c is not None],
            consent=self.query_one("#consent", Checkbox).value,
            device_owner=owner,
            note=self.query_one("#note", Input).value,
        )

    def load_draft(self, draft: EntryDraft) -> None:
        """Show a draft (a fresh one clears the form)."""
        with self.prevent(Input.Changed, RadioSet.Changed, Checkbox.Changed, Select.Changed):
            for name in TEXT_FIELDS:
                self.query_one(f"#{name}", Input).value = str(getattr(draft, name))
            sex = f"sex-{draft.sex.value}" if draft.sex is not None else None
            self.query_one("#sex", FormRadioSet).choose(sex)
            owner = f"owner-{draft.device_owner.value}"
            self.query_one("#device_owner", FormRadioSet).choose(owner)
            village = self.query_one("#village", Select)
            if draft.village:
                village.value = draft.village
            self.query_one("#consent", Checkbox).value = draft.consent
            chosen = {c.code: c for c in draft.services}
            for line in self.query(ServiceLine):
                line.load_model(chosen.get(line.code))
        self.touched = set()
        # A stored entry's sex and birth year were chosen by someone: never overwrite them.
        self.explicit = {"sex", "birth_year"} if self.editing is not None else set()
        self.filled = {}
        self.show_all = self.editing is not None
        self.query_one(ProblemList).problems = []
        for widget in self.query(".-problem"):
            widget.remove_class("-problem")

    # -- live validation -------------------------------------------------------------------

    def check(self) -> DraftCheck:
        """Validate the form now and show what matters (errors of touched fields, warnings)."""
        row = self.editing
        assisted_at = row.assisted_at if row is not None else self.shared.clock()
        check = check_draft(
            self.to_draft(),
            assisted_at,
            entry_id=row.id if row is not None else None,
            rev=row.rev if row is not None else 1,
            kept_number=row is not None,
        )
        if row is not None:
            check.entries = [e.model_copy(update={"visit_id": row.visit_id}) for e in check.entries]
        self.last_check = check
        shown = sorted(
            (
                p
                for p in check.errors
                if self.show_all or p.field.split(":", 1)[0] in self.touched or ":" in p.field
            ),
            key=lambda p: FIELD_RANK.get(p.field.split(":", 1)[0], len(FIELD_RANK)),
        )
        self.query_one(ProblemList).problems = shown + check.warnings
        invalid = {p.field for p in shown} | {p.field.split(":", 1)[0] for p in shown}
        for name in (*TEXT_FIELDS, "sex", "village", "consent"):
            self.query_one(f"#{name}").set_class(name in invalid, "-problem")
        self.query_one("#lbl-services").set_class("services" in invalid, "-problem")
        for line in self.query(ServiceLine):
            line.set_class(f"reasons:{line.code}" in invalid, "-problem")
        return check

    def bad_field(self, problem: Problem) -> Widget | None:
        """The widget to fix a problem in (for a service's reasons: its list, or its box)."""
        name, _, code = problem.field.partition(":")
        if name == "services":
            return next(iter(self.query(ServiceLine)), None)
        if name == "reasons" and code:
            line = self.query_one(f"#svc-{code}", ServiceLine)
            found = line.query("#reasons")
            return found.first() if found else line
        if name in FOCUS_ORDER:
            return self.query_one(f"#{name}")
        return None

    @on(Input.Changed)
    @on(RadioSet.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(ServiceLine.Changed)
    def _changed(self, event: Message) -> None:
        control = getattr(event, "control", None)
        if isinstance(control, Widget) and control.id:
            name = control.id
            self.touched.add("services" if name.startswith("svc-") else name)
            if name == "sex" or (name == "birth_year" and isinstance(control, Input)):
                self._set_by_hand(name, control)
            elif name == "id_number" and isinstance(control, Input):
                self.fill_from_id_number(control.value)
        self.check()

    def _set_by_hand(self, name: str, control: Widget) -> None:
        """A choice the volunteer made (an emptied birth year may be filled in again)."""
        if isinstance(control, Input) and not control.value:
            self.explicit.discard(name)
        else:
            self.explicit.add(name)
        self.filled.pop(name, None)

    def fill_from_id_number(self, number: str) -> None:
        """Sex and birth year from the number's 4th to 6th digits, unless typed by hand.

        A field is filled only while it is empty or still holds what the number last gave it,
        so a correction of the number follows through and nothing typed is overwritten.
        """
        decoded = decode_id_number(number)
        sex_set = self.query_one("#sex", FormRadioSet)
        pressed = sex_set.pressed_button.id if sex_set.pressed_button is not None else None
        wanted = f"sex-{decoded.sex.value}" if decoded.sex is not None else None
        if "sex" not in self.explicit and pressed in (None, self.filled.get("sex")):
            sex_set.choose(wanted)
            self._note_filled("sex", wanted)
        year = self.query_one("#birth_year", Input)
        wanted = str(decoded.birth_year) if decoded.birth_year is not None else None
        if "birth_year" not in self.explicit and year.value in ("", self.filled.get("birth_year")):
            with self.prevent(Input.Changed):
                year.value = wanted or ""
            self._note_filled("birth_year", wanted)

    def _note_filled(self, name: str, value: str | None) -> None:
        if value is None:
            self.filled.pop(name, None)
        else:
            self.filled[name] = value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter is the form's only in text fields; elsewhere it ticks, picks or opens."""
        if action == "next_field":
            return isinstance(self.focused, Input | FormSelectionList)
        return True

    def action_tab(self, step: int) -> None:
        """The next (step 1) or previous (-1) field; inside a reasons list, the next reason.

        Space then ticks the reason the volunteer sees highlighted, never the next service.
        """
        reasons = self.focused
        if isinstance(reasons, FormSelectionList) and reasons.highlighted is not None:
            target = reasons.highlighted + step
            if 0 <= target < reasons.option_count:
                reasons.highlighted = target
                return
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_next_field(self) -> None:
        """The next field, before any key typed after Enter is handled."""
        self.focus_next()

    # -- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Validate everything; then look for warnings off the UI thread."""
        # A Ctrl+S typed right behind the number may come before the number's Changed message.
        self.fill_from_id_number(self.query_one("#id_number", Input).value)
        self.show_all = True
        check = self.check()
        if not check.ok:
            # Every error is listed and marked (check); the cursor goes to the first one.
            problems = self.query_one(ProblemList).problems
            target = next((w for p in problems if (w := self.bad_field(p)) is not None), None)
            if target is not None:
                target.focus()
                # Again once the error list has taken its room, which shrinks the form.
                self.call_after_refresh(target.scroll_visible)
            return
        self.say(lambda lang: tr("form.saving", lang))
        self.precheck(check.entries, list(check.warnings))

    @work(thread=True, exclusive=True, exit_on_error=False, group="form")
    def precheck(self, entries: list[Entry], found: list[Problem]) -> None:
        """Ask the store whether this citizen was already helped here, or the phone is shared."""
        store = self.shared.store
        if store is None:
            return
        from fieldkit.store.visits import history_warnings

        editing = self.editing is not None
        warnings = list(found) + history_warnings(store, entries, editing=editing)
        self.post_message(self.Prechecked(entries, warnings))

    @on(Prechecked)
    def _prechecked(self, message: Prechecked) -> None:
        if not message.warnings:
            self.save(message.entries)
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.save(message.entries)
            else:
                self.say(None)

        self.app.push_screen(WarningsScreen(message.warnings), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form")
    def save(self, entries: list[Entry]) -> None:
        """Commit the entries and their outbox rows; 'saved' is said only after this returns."""
        store = self.shared.store
        if store is None:
            return
        if self.editing is not None:
            store.update_entry(entries[0])
        else:
            store.save_entries(entries)
        self.post_message(self.Saved(entries))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.app.post_message(EntriesChanged())
        if self.editing is not None:
            self.app.post_message(StatusNote(both("form.updated")))
            self.dismiss(None)
            return
        count, name = len(message.entries), message.entries[0].full_name
        self.last_draft = self.to_draft()
        self.load_draft(EntryDraft(village=self.last_draft.village))
        self.say(
            lambda lang: (
                f"✓ {tr('form.saved', lang, count=count, name=name)}"
                f"  (F3: {tr('key.household', lang)})"
            )
        )
        self.query_one("#full_name", Input).focus()

    def action_household(self) -> None:
        """Start the next citizen of the same household: village and phone kept."""
        if self.last_draft is None or self.editing is not None:
            return
        self.load_draft(self.last_draft.household())
        self.say(lambda lang: tr("form.household_hint", lang))
        self.query_one("#full_name", Input).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A save that failed says so and keeps the form."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            from fieldkit.tui.failures import explain

            error = event.worker.error
            self.say(lambda lang: tr("form.save_failed", lang, detail=explain(error, lang)))
            self.query_one("#form-info", Static).scroll_visible()

    def action_back(self) -> None:
        """Leave the form; with unsaved typing, only after the volunteer says to discard it."""
        if not self.touched:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(DiscardScreen(), answered)
