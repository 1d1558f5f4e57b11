"""The form's live list of errors (block saving) and warnings (must be confirmed)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from fieldkit.domain import Problem, Severity
from fieldkit.domain.catalogue import service_label
from fieldkit.tui.i18n import problem_text, tr


def problem_line(problem: Problem, lang: str) -> str:
    """One problem as the volunteer reads it, naming the service for per-service ones."""
    text = problem_text(problem, lang)
    if ":" in problem.field:
        text = f"{service_label(problem.field.split(':', 1)[1], lang, short=True)}: {text}"
    return text


class ProblemList(Static):
    """Errors in red with ✗, warnings in yellow with !, or nothing at all."""

    DEFAULT_CSS = """
    ProblemList {
        height: auto;
        padding: 0 1;
        display: none;
        &.-shown { display: block; }
    }
    """

    problems: reactive[list[Problem]] = reactive(list, always_update=True)
    """What to show."""
    lang: reactive[str] = reactive("vi")
    """The language of the messages."""

    def _paint(self) -> None:
        lines: list[tuple[str, str]] = []
        errors = sum(p.severity is Severity.ERROR for p in self.problems)
        if errors:
            lines.append((tr("form.has_errors", self.lang, count=errors), "bold red"))
        for problem in self.problems:
            error = problem.severity is Severity.ERROR
            line = ("✗ " if error else "! ") + problem_line(problem, self.lang)
            lines.append((line, "red" if error else "yellow"))
        room = max(3, self.app.size.height // 3)  # the form above must stay usable
        if len(lines) > room:
            more = len(lines) - room + 1
            lines = [*lines[: room - 1], (tr("form.more_problems", self.lang, count=more), "")]
        text = Text("\n").join(Text(line, style=style) for line, style in lines)
        self.set_class(bool(self.problems), "-shown")
        self.update(text)

    def watch_problems(self) -> None:
        """Repaint on new problems."""
        self._paint()

    def watch_lang(self) -> None:
        """Repaint in the new language."""
        self._paint()
