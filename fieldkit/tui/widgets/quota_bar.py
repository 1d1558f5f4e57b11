"""One service's quota progress: a bar with achieved, quota and percentage."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from fieldkit.domain.formatting import format_progress


def bar_text(achieved: int, quota: int | None, width: int) -> str:
    """A fixed-width bar of full and empty blocks (full when over 100 %)."""
    width = max(width, 1)
    if not quota:
        return "·" * width
    filled = min(width, round(width * achieved / quota))
    return "█" * filled + "░" * (width - filled)


class QuotaBar(Widget):
    """A labelled progress bar: 'label  ████░░░  12/40 (30,0 %)'."""

    DEFAULT_CSS = """
    QuotaBar {
        height: 1;
        width: 1fr;
        &.-done { color: $success; }
        &.-none { color: $text-muted; }
    }
    """

    label: reactive[str] = reactive("")
    """The service's name."""
    label_width: reactive[int] = reactive(0)
    """Columns for the label, the same for every bar of a list (0: a share of the width)."""
    numbers_width: reactive[int] = reactive(0)
    """Columns for the progress text, the same for every bar of a list, so the bars line up."""
    achieved: reactive[int] = reactive(0)
    """Distinct citizens counted (synced tally plus local entries not yet counted)."""
    quota: reactive[int | None] = reactive(None)
    """The target, if the village has one."""
    lang: reactive[str] = reactive("vi")
    """Number format language."""

    def _mark(self) -> None:
        self.set_class(bool(self.quota) and self.achieved >= (self.quota or 0), "-done")
        self.set_class(not self.quota, "-none")

    def watch_achieved(self) -> None:
        """Mark a met quota."""
        self._mark()

    def watch_quota(self) -> None:
        """Mark a missing or met quota."""
        self._mark()

    def render(self) -> Text:
        """Label, bar and numbers, squeezed to the widget's width."""
        numbers = f"{format_progress(self.achieved, self.quota, self.lang):>{self.numbers_width}}"
        width = self.size.width or 80
        label_width = self.label_width or max(10, min(34, width // 3))
        label = self.label
        if len(label) > label_width:
            label = label[: label_width - 1] + "…"
        bar_width = max(5, width - label_width - len(numbers) - 2)
        text = Text()
        text.append(f"{label:<{label_width}} ")
        text.append(bar_text(self.achieved, self.quota, bar_width), style="bold")
        text.append(f" {numbers}")
        return text
