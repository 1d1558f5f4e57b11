"""Figures and tables as pages draw them: each figure carries its raw value for machines.

A `Figure` renders as
`<data data-unit=… data-service=… data-metric=… data-value=…>shown</data>`: `data-value` is a
plain number (no thousands separator; a percentage as a decimal such as `118.2`; empty when
there is none), the text is formatted for the reader (1.234 / 12,5 %). A `Table` is a caption,
columns and rows of cells, each cell a Figure, a `Link` or plain text (partial `_table.html`).

Templates draw figures and progress bars with `figure(f)` and `bar(percent)`
(`figure_html`/`bar_html`, bound to the reader's language by `templating.render`): one Python
call per cell instead of a Jinja macro call, which cost about half of a commune page's drawing.
The macros `figure` and `bar` in `_macros.html` stay as the readable definition of the same
HTML; tests/sync_server/web/test_figure_html.py keeps the two identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain.catalogue import service_by_code
from sync_server.db.models import Service
from sync_server.web import i18n

PERCENT = "percent"
METRICS = frozenset(
    {"quota", "achieved", PERCENT, "pending", "approved", "rejected", "youth", "non_youth"}
)
"""Metric names already in use; pages may add more (a metric is any lower_snake_case word)."""


@dataclass(frozen=True)
class Figure:
    """One number about one unit and service."""

    unit: str
    service: str
    metric: str
    value: int | float | None
    percent: bool = False
    """A percentage under another metric name (the report's `accounts_percent`)."""

    @property
    def is_percent(self) -> bool:
        """Shown as 12,5 %, given as 12.5."""
        return self.percent or self.metric == PERCENT

    @property
    def raw(self) -> str:
        """The machine-readable value: 1234, 118.2 or ''."""
        if self.value is None:
            return ""
        if self.is_percent or isinstance(self.value, float):
            return f"{float(self.value):.1f}"
        return str(int(self.value))


@dataclass(frozen=True)
class Link:
    """A cell that leads somewhere on this site."""

    text: str
    href: str


@dataclass(frozen=True)
class Column:
    """A column heading (an i18n key) and whether it holds numbers (right-aligned)."""

    label: str
    numeric: bool = False
    key: str = ""
    """A stable name for the column (used for sorting and by tests)."""


Cell = Figure | Link | str | int | None


@dataclass
class Table:
    """A table for `_table.html`."""

    caption: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = "No figures yet for this period."
    """What the table says when it has no rows (an i18n key)."""
    caption_fields: dict[str, object] = field(default_factory=dict)
    """Values for `{name}` fields in the caption (filled after translation)."""
    key: str = ""
    """A stable name for the table (`data-table`), for tests and scripts."""


def service_labels(session: Session, lang: str) -> dict[str, str]:
    """Each service's label in the reader's language, by code (pages show labels, not codes)."""
    column = Service.label_vi if lang == "vi" else Service.label_en
    return {code: label for code, label in session.execute(select(Service.code, column))}


def short_labels(labels: dict[str, str], lang: str) -> dict[str, str]:
    """Each service's short name, for column headers and chart labels where room is short.

    The laptop app's short names (the default catalogue's); a service a province added keeps
    its full label. Pages show the full label beside it (`<abbr title=…>`).
    """
    shorts = {}
    for code, label in labels.items():
        info = service_by_code(code)
        shorts[code] = info.short_label(lang) if info is not None else label
    return shorts


def figure_html(f: Figure, lang: str) -> Markup:
    """One figure as `<data>` with its raw value: the `figure` macro's HTML, drawn in Python."""
    raw = f.raw
    metric = escape(f.metric)
    shown = i18n.percent(f.value, lang) if f.is_percent else i18n.number(f.value, lang)
    return Markup(
        f'<data class="figure metric-{metric}" value="{raw}" data-unit="{escape(f.unit)}" '
        f'data-service="{escape(f.service)}" data-metric="{metric}" data-value="{raw}">'
        f"{escape(shown)}</data>"
    )


def bar_html(percent: float | None) -> Markup:
    """Achieved against quota as an inline SVG bar: the `bar` macro's HTML, drawn in Python.

    Decorative (`aria-hidden`): the figures beside it say the same. Full from 100 % on.
    """
    width = min(max(percent or 0, 0), 100)
    done = " done" if percent is not None and percent >= 100 else ""
    return Markup(
        f'<svg class="bar{done}" viewBox="0 0 100 10" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false"><rect class="track" width="100" height="10"/>'
        f'<rect class="fill" width="{width}" height="10"/></svg>'
    )
