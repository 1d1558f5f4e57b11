"""Charts as inline SVG drawn on the server: no script, no font or file from anywhere else.

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>` (both
in the page's language, through `aria-labelledby`), scales to its box (a phone's 390 px too)
and prints. The page puts a table with the same numbers beside each chart. Colours come from
classes in fieldkit.css (the pages' CSP allows no inline style); the series of a line chart
also differ by dash and marker, so they can be told apart in print and without colour.
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
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 4", "10 4")

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
    """Shares of quota (percent), in the order given, with a line at the goal (100 %)."""
    height = max(ROW * len(bars) + 4, ROW)
    head, parts = _open(title, desc, height, "ranked")
    scale = max([b.value for b in bars] + [goal])
    at_goal = goal / scale * BAR_WIDTH
    for i, bar in enumerate(bars):
        y = i * ROW
        parts.append(_label(bar, 0, y + 12, LABEL_CHARS))
        parts.append(_value(bar, y + 27))
        width = max(bar.value, 0) / scale * BAR_WIDTH
        done = " done" if bar.value >= goal else ""
        parts.append(f'<rect class="track" x="0" y="{y + 18}" width="{BAR_WIDTH}" height="10"/>')
        parts.append(
            f'<rect class="fill{done}" x="0" y="{y + 18}" width="{width:.1f}" height="10"/>'
        )
    parts.append(
        f'<line class="quota" x1="{at_goal:.1f}" x2="{at_goal:.1f}" y1="14" y2="{height}"/>'
    )
    return Markup(head + "".join(parts) + "</svg>")


def line_chart(
    title: str,
    desc: str,
    ticks: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    number: Callable[[int], str],
) -> Markup:
    """One line per series over the same ticks (weeks), with a legend and a labelled y axis."""
    left, right, top, plot_h, legend_row = 40, 18, 10, 150, 18
    bottom = top + plot_h
    legend_y = bottom + 32
    height = legend_y + legend_row * len(series) + 4
    head, parts = _open(title, desc, height, "lines")
    plot_w = WIDTH - left - right
    peak = max([max(values, default=0) for _, values in series] + [1])
    top_tick = _nice(peak)
    for step in range(5):
        value = top_tick * step // 4
        y = bottom - plot_h * step / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(number(value))}</text>"
        )
    span = max(len(ticks) - 1, 1)

    def x_at(i: int) -> float:
        return left + plot_w * i / span

    every = max(1, len(ticks) // 6)
    for i, tick in enumerate(ticks):
        if i % every == 0:
            parts.append(
                f'<text class="axis" x="{x_at(i):.1f}" y="{bottom + 16}" text-anchor="middle">'
                f"{escape(tick)}</text>"
            )
    for n, (name, values) in enumerate(series):
        style = f"series-{n % SERIES}"
        dash = DASHES[n % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(
            f"{x_at(i):.1f},{bottom - plot_h * v / top_tick:.1f}" for i, v in enumerate(values)
        )
        if len(values) == 1:
            y = bottom - plot_h * values[0] / top_tick
            parts.append(f'<circle class="{style}" cx="{x_at(0):.1f}" cy="{y:.1f}" r="3"/>')
        else:
            parts.append(f'<polyline class="line {style}" points="{points}"{dash_attr}/>')
        ly = legend_y + n * legend_row
        parts.append(
            f'<line class="line {style}" x1="{left}" x2="{left + 28}" y1="{ly - 4}" '
            f'y2="{ly - 4}"{dash_attr}/>'
            f'<text class="label" x="{left + 36}" y="{ly}">{escape(short(name, LABEL_CHARS - 12))}'
            "</text>"
        )
    return Markup(head + "".join(parts) + "</svg>")


def _nice(peak: int) -> int:
    """A round top for the y axis at or above `peak`, divisible by 4 (1, 2, 2.5 or 5 × 10ⁿ)."""
    magnitude = 1
    while magnitude * 10 <= peak:
        magnitude *= 10
    for factor in (1, 2, 2.5, 5, 10):
        top = int(factor * magnitude)
        if top >= peak and top % 4 == 0:
            return top
    return ((peak + 3) // 4) * 4
