"""Charts as inline SVG drawn on the server: no script, no font or file from anywhere else.

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>` (both
in the page's language, through `aria-labelledby`), scales to its box (a phone's 390 px too)
and prints. The page puts a table with the same numbers beside each chart. Colours come from
classes in fieldkit.css (the pages' CSP allows no inline style); the series of a line chart
each have a row of their own, so they are told apart in print and without colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH = 360
"""The viewBox width every chart is drawn in (it scales to the width of its box: about its
own size on a phone, a third larger on a laptop)."""
LABEL_CHARS = 54
"""Longer labels are cut with "…" (the table beside the chart has them whole)."""
BAR_WIDTH = 210
"""How long a full bar is; the figure is written to its right."""
ROW = 32
"""Height of one bar's row: its label above, the bar below."""
SERIES = 6
"""Series styles (`series-0` … `series-5` in fieldkit.css); more series reuse them."""

_ids = count(1)


@dataclass(frozen=True)
class Bar:
    """One bar: what it is, its value and (for progress bars) the quota it is drawn against."""

    label: str
    value: float
    quota: float | None = None
    text: str = ""
    """The figure written beside the bar (formatted for the reader)."""


def _open(title: str, desc: str, height: int, kind: str) -> tuple[str, list[str]]:
    n = next(_ids)
    tid, did = f"chart-{n}-title", f"chart-{n}-desc"
    head = (
        f'<svg class="chart chart-{kind}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{tid} {did}" xmlns="http://www.w3.org/2000/svg" focusable="false">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return head, []


def short(label: str, room: int = LABEL_CHARS) -> str:
    """A label cut to fit its line."""
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _label(bar: Bar, x: float, y: float, room: int) -> str:
    """A bar's name above it (links live in the table beside the chart, not in the image)."""
    return f'<text class="label" x="{x:g}" y="{y:g}">{escape(short(bar.label, room))}</text>'


def _value(bar: Bar, y: float) -> str:
    """A bar's figure, right of the bar."""
    return f'<text class="value" x="{WIDTH}" y="{y:g}" text-anchor="end">{escape(bar.text)}</text>'


def progress_bars(title: str, desc: str, bars: Sequence[Bar]) -> Markup:
    """Achieved against quota, one bar per item: a full track is the quota, a tick marks it."""
    height = max(ROW * len(bars) + 4, ROW)
    head, parts = _open(title, desc, height, "progress")
    scale = max([b.quota or 0 for b in bars] + [b.value for b in bars] + [1])
    for i, bar in enumerate(bars):
        y = i * ROW
        parts.append(_label(bar, 0, y + 12, LABEL_CHARS))
        parts.append(_value(bar, y + 27))
        track = (bar.quota or scale) / scale * BAR_WIDTH
        fill = min(bar.value / scale * BAR_WIDTH, BAR_WIDTH)
        done = " done" if bar.quota and bar.value >= bar.quota else ""
        parts.append(f'<rect class="track" x="0" y="{y + 18}" width="{track:.1f}" height="10"/>')
        parts.append(
            f'<rect class="fill{done}" x="0" y="{y + 18}" width="{fill:.1f}" height="10"/>'
        )
        if bar.quota:
            parts.append(
                f'<line class="quota" x1="{track:.1f}" x2="{track:.1f}" y1="{y + 15}" '
                f'y2="{y + 31}"/>'
            )
    return Markup(head + "".join(parts) + "</svg>")


def ranked_bars(title: str, desc: str, bars: Sequence[Bar], goal: float = 100.0) -> Markup:
    """Shares of quota (percent), in the order given, with a line at the goal (100 %).

    One short line per bar (name, bar, figure), so a province's hundred-odd communes fit.
    """
    name_w, row, right = 150, 16, 52
    bar_w = WIDTH - name_w - right
    height = max(row * len(bars) + 4, row)
    head, parts = _open(title, desc, height, "ranked")
    scale = max([b.value for b in bars] + [goal])
    at_goal = name_w + goal / scale * bar_w
    for i, bar in enumerate(bars):
        y = i * row
        width = max(bar.value, 0) / scale * bar_w
        done = " done" if bar.value >= goal else ""
        parts.append(
            f'<text class="label small" x="0" y="{y + 12}">{escape(short(bar.label, 26))}</text>'
            f'<rect class="track" x="{name_w}" y="{y + 4}" width="{bar_w}" height="9"/>'
            f'<rect class="fill{done}" x="{name_w}" y="{y + 4}" width="{width:.1f}" height="9"/>'
            f'<text class="value small" x="{WIDTH}" y="{y + 12}" text-anchor="end">'
            f"{escape(bar.text)}</text>"
        )
    parts.append(
        f'<line class="quota" x1="{at_goal:.1f}" x2="{at_goal:.1f}" y1="0" y2="{height}"/>'
    )
    return Markup(head + "".join(parts) + "</svg>")


def line_chart(
    title: str,
    desc: str,
    ticks: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    number: Callable[[int], str],
    scale_note: Callable[[str], str],
) -> Markup:
    """One small line per series over the same ticks (weeks), a row each on the same scale,
    so several services stay readable on a phone. Each row names its series and its total;
    `scale_note(top)` says above the rows what the top of a row stands for."""
    note_h, row_h, plot_h, axis_h, right = 16, 44, 24, 18, 16
    height = note_h + row_h * len(series) + axis_h
    head, parts = _open(title, desc, height, "lines")
    plot_w = WIDTH - right
    peak = max([max(values, default=0) for _, values in series] + [1])
    parts.append(f'<text class="axis" x="0" y="11">{escape(scale_note(number(peak)))}</text>')
    span = max(len(ticks) - 1, 1)

    def x_at(i: int) -> float:
        return plot_w * i / span

    for n, (name, values) in enumerate(series):
        style = f"series-{n % SERIES}"
        top = note_h + n * row_h
        base = top + 16 + plot_h
        parts.append(
            f'<text class="label" x="0" y="{top + 12}">{escape(short(name, LABEL_CHARS - 8))}'
            f'</text><text class="value" x="{WIDTH}" y="{top + 12}" text-anchor="end">'
            f"{escape(number(sum(values)))}</text>"
            f'<line class="grid" x1="0" x2="{plot_w}" y1="{base}" y2="{base}"/>'
        )
        points = [(x_at(i), base - plot_h * v / peak) for i, v in enumerate(values)]
        if len(points) == 1:
            x, y = points[0]
            parts.append(f'<circle class="{style}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
            continue
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polygon class="area {style}" points="0,{base} {line} {plot_w:.1f},{base}"/>'
            f'<polyline class="line {style}" points="{line}"/>'
        )
    every = max(1, len(ticks) // 6)
    axis_y = note_h + row_h * len(series) + 12
    for i, tick in enumerate(ticks):
        if i % every == 0:
            anchor = "start" if i == 0 else "middle"
            parts.append(
                f'<text class="axis" x="{x_at(i):.1f}" y="{axis_y}" text-anchor="{anchor}">'
                f"{escape(tick)}</text>"
            )
    return Markup(head + "".join(parts) + "</svg>")
