"""One service of the form: tick it, pick its outcome and, unless it succeeded, its reasons."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Checkbox, Select, SelectionList

from fieldkit.domain import Outcome, Reason
from fieldkit.domain.catalogue import service_label
from fieldkit.tui.draft import ServiceChoice
from fieldkit.tui.i18n import outcome_text, reason_text
from fieldkit.tui.widgets.form_checkbox import FormCheckbox
from fieldkit.tui.widgets.form_select import FormSelect, FormSelectionList

# Columns taken by the outcome box (with its margin) and by the checkbox's "▐X▌ ".
OUTCOME_WIDTH = 31
TICK_WIDTH = 5
FORM_CHROME = 4  # the form's padding and scroll bar


class ServiceLine(Vertical):
    """A checkbox; its outcome choice and reasons list are built only when first needed.

    Seven services with 17 reasons each would be ~150 widgets to build before the form can
    take a key; most citizens need one or two services, most of them successful.

    The outcome box is built and shown in the same call that ticks the box (a synchronous
    watch on the checkbox's value, and an inline `display` rather than a CSS class, which
    would only apply on the next style update), so a Tab pressed right after Space, however
    fast, finds it in the focus chain. The reasons list likewise follows the outcome box's
    value in a synchronous watch; the box (a FormSelect) sets it in key order, so a Tab right
    after choosing "failed" lands in the reasons. The Changed messages only tell the form.
    """

    DEFAULT_CSS = """
    ServiceLine {
        height: auto;
        & > Horizontal { height: auto; }
        & Checkbox { width: 1fr; border: none; padding: 0; }
        & Select { width: 30; }
        & > .reasons { height: auto; padding: 0 0 0 4; }
        & SelectionList { height: auto; max-height: 8; }
    }
    """

    class Changed(Message):
        """The service was ticked, its outcome or its reasons changed."""

        def __init__(self, line: ServiceLine) -> None:
            self.line = line
            super().__init__()

        @property
        def control(self) -> ServiceLine:
            """The line that changed."""
            return self.line

    lang: reactive[str] = reactive("vi")
    """The language of the labels."""

    def __init__(self, code: str, *, lang: str = "vi", id: str | None = None) -> None:
        super().__init__(id=id)
        self.code = code
        self.set_reactive(ServiceLine.lang, lang)
        self.ticked = False
        self.outcome = Outcome.SUCCESS
        self.reasons: list[Reason] = []
        self._outcome_select: FormSelect[str] | None = None
        self._reason_list: SelectionList[str] | None = None

    def compose(self) -> ComposeResult:
        """Only the checkbox at first."""
        with Horizontal():
            yield FormCheckbox(self._label(), id="tick", compact=True)

    def _label(self) -> str:
        """The full label where it fits beside the outcome box, else the short name.

        Measured on the terminal, not on the line: a relabel on the line's own Resize (it
        grows when its outcome or reasons appear) comes in the middle of fast typing.
        """
        full = service_label(self.code, self.lang)
        room = self.app.size.width - FORM_CHROME - OUTCOME_WIDTH - TICK_WIDTH
        return full if len(full) <= room else service_label(self.code, self.lang, short=True)

    def fit_label(self) -> None:
        """Long or short label, for the terminal's width now (relabelled only on a change)."""
        tick = self.query_one("#tick", Checkbox)
        label = self._label()
        if str(tick.label) != label:
            tick.label = label

    def on_mount(self) -> None:
        """Follow the checkbox synchronously (the Changed message would come too late)."""
        self.watch(self.query_one("#tick", Checkbox), "value", self._tick_value, init=False)

    # -- building on demand ---------------------------------------------------------------

    def _outcome_options(self) -> list[tuple[str, str]]:
        return [(outcome_text(o, self.lang), o.value) for o in Outcome]

    def _chosen_reasons(self) -> list[Reason]:
        """The ticked reasons as the list has them now (its message may still be on its way)."""
        if self._reason_list is None:
            return list(self.reasons)
        return [Reason(str(v)) for v in self._reason_list.selected]

    def _reason_options(self) -> list[tuple[str, str, bool]]:
        chosen = set(self._chosen_reasons())
        return [(reason_text(r, self.lang), r.value, r in chosen) for r in Reason]

    def _ensure_outcome(self) -> None:
        if self._outcome_select is None:
            self._outcome_select = FormSelect[str](
                self._outcome_options(),
                value=self.outcome.value,
                allow_blank=False,
                id="outcome",
                compact=True,
            )
            self.query_one(Horizontal).mount(self._outcome_select)
            self.watch(self._outcome_select, "value", self._outcome_value, init=False)

    def _ensure_reasons(self) -> None:
        if self._reason_list is None:
            self._reason_list = FormSelectionList[str](
                *self._reason_options(), id="reasons", compact=True
            )
            # Indented by a container's padding: a margin on the list itself would sort it
            # before the checkbox in the focus chain until its first layout.
            # (Mounted one by one: a container's constructor children join it only later.)
            box = Vertical(classes="reasons")
            self.mount(box)
            box.mount(self._reason_list)

    def _sync(self) -> None:
        """Build and show (or hide) the outcome and reasons now, not on a later refresh."""
        needs_reasons = self.ticked and self.outcome is not Outcome.SUCCESS
        if self.ticked:
            self._ensure_outcome()
        if needs_reasons:
            self._ensure_reasons()
        if self._outcome_select is not None:
            self._outcome_select.display = self.ticked
        if self._reason_list is not None:
            self._reason_list.display = needs_reasons
        self.set_class(self.ticked, "-ticked")
        self.set_class(self.outcome is not Outcome.SUCCESS, "-needs-reasons")

    # -- events ---------------------------------------------------------------------------

    def _tick_value(self, value: bool) -> None:
        """The box was ticked or cleared: in the same call, so before the next key."""
        self.ticked = value
        self._sync()

    def _outcome_value(self, value: object) -> None:
        """An outcome was chosen: show or hide the reasons in the same call."""
        if isinstance(value, str):
            self.outcome = Outcome(value)
            self._sync()

    # The watches above have applied these already (a message's value may be stale by now).

    @on(Checkbox.Changed)
    def _ticked(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self))

    @on(Select.Changed)
    def _outcome_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self))

    @on(SelectionList.SelectedChanged)
    def _reasons_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        self.reasons = [Reason(str(v)) for v in event.selection_list.selected]
        self.post_message(self.Changed(self))

    def watch_lang(self) -> None:
        """Relabel everything, keeping the choices."""
        if not self.is_mounted:
            return
        self.query_one("#tick", Checkbox).label = self._label()
        if self._outcome_select is not None:
            self._outcome_select.relabel(self._outcome_options())
        if self._reason_list is not None:
            highlighted = self._reason_list.highlighted
            options = self._reason_options()  # before clearing, which forgets the ticks
            with self.prevent(SelectionList.SelectedChanged):
                self._reason_list.clear_options()
                self._reason_list.add_options(options)
            self._reason_list.highlighted = highlighted

    # -- model ----------------------------------------------------------------------------

    def to_model(self) -> ServiceChoice | None:
        """The choice, or None when the service is not ticked."""
        if not self.ticked:
            return None
        reasons = self._chosen_reasons() if self.outcome is not Outcome.SUCCESS else []
        return ServiceChoice(self.code, self.outcome, reasons)

    def load_model(self, choice: ServiceChoice | None) -> None:
        """Show a choice (None clears the line)."""
        self.ticked = choice is not None
        self.outcome = choice.outcome if choice is not None else Outcome.SUCCESS
        self.reasons = list(choice.reasons) if choice is not None else []
        with self.prevent(Checkbox.Changed, Select.Changed, SelectionList.SelectedChanged):
            self.query_one("#tick", Checkbox).value = self.ticked
            if self._outcome_select is not None:
                self._outcome_select.value = self.outcome.value
            if self._reason_list is not None:
                self._reason_list.deselect_all()
                for reason in self.reasons:
                    self._reason_list.select(reason.value)
        self._sync()
