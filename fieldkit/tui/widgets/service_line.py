"""One service of the form: tick it, pick its outcome and, unless it succeeded, its reasons."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Checkbox, Select, SelectionList

from fieldkit.domain import Outcome, Reason
from fieldkit.tui.draft import ServiceChoice
from fieldkit.tui.i18n import outcome_text, reason_text, service_label
from fieldkit.tui.widgets.form_checkbox import FormCheckbox


class ServiceLine(Vertical):
    """A checkbox, an outcome choice and a reasons list shown only for non-success outcomes."""

    DEFAULT_CSS = """
    ServiceLine {
        height: auto;
        & > Horizontal { height: auto; }
        & Checkbox { width: 1fr; border: none; padding: 0; }
        & Select { width: 30; display: none; }
        & SelectionList { height: auto; max-height: 8; display: none; margin: 0 0 0 4; }
        &.-ticked Select { display: block; }
        &.-ticked.-needs-reasons SelectionList { display: block; }
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

    def compose(self) -> ComposeResult:
        """A checkbox and outcome on one row, the reasons under them."""
        with Horizontal():
            yield FormCheckbox(service_label(self.code, self.lang), id="tick", compact=True)
            yield Select(
                self._outcome_options(),
                value=Outcome.SUCCESS.value,
                allow_blank=False,
                id="outcome",
                compact=True,
            )
        yield SelectionList[str](*self._reason_options(set()), id="reasons", compact=True)

    def _outcome_options(self) -> list[tuple[str, str]]:
        return [(outcome_text(o, self.lang), o.value) for o in Outcome]

    def _reason_options(self, selected: set[str]) -> list[tuple[str, str, bool]]:
        return [(reason_text(r, self.lang), r.value, r.value in selected) for r in Reason]

    def watch_lang(self) -> None:
        """Relabel everything, keeping the choices."""
        if not self.is_mounted:
            return
        self.query_one("#tick", Checkbox).label = service_label(self.code, self.lang)
        outcome = self.query_one("#outcome", Select)
        value = outcome.value
        outcome.set_options(self._outcome_options())
        outcome.value = value
        reasons = self.query_one("#reasons", SelectionList)
        selected = {str(v) for v in reasons.selected}
        highlighted = reasons.highlighted
        reasons.clear_options()
        reasons.add_options(self._reason_options(selected))
        reasons.highlighted = highlighted

    def _sync_classes(self) -> None:
        ticked = self.query_one("#tick", Checkbox).value
        outcome = self.query_one("#outcome", Select).value
        self.set_class(ticked, "-ticked")
        self.set_class(outcome != Outcome.SUCCESS.value, "-needs-reasons")

    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event: Message) -> None:
        event.stop()
        self._sync_classes()
        self.post_message(self.Changed(self))

    def to_model(self) -> ServiceChoice | None:
        """The choice, or None when the service is not ticked."""
        if not self.query_one("#tick", Checkbox).value:
            return None
        outcome = Outcome(str(self.query_one("#outcome", Select).value))
        reasons: list[Reason] = []
        if outcome is not Outcome.SUCCESS:
            reasons = [Reason(str(v)) for v in self.query_one("#reasons", SelectionList).selected]
        return ServiceChoice(self.code, outcome, reasons)

    def load_model(self, choice: ServiceChoice | None) -> None:
        """Show a choice (None clears the line)."""
        with self.prevent(Checkbox.Changed, Select.Changed, SelectionList.SelectedChanged):
            self.query_one("#tick", Checkbox).value = choice is not None
            outcome = choice.outcome if choice is not None else Outcome.SUCCESS
            self.query_one("#outcome", Select).value = outcome.value
            reasons = self.query_one("#reasons", SelectionList)
            reasons.deselect_all()
            for reason in choice.reasons if choice is not None else []:
                reasons.select(reason.value)
        self._sync_classes()
