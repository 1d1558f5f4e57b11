"""Figures and bars drawn in Python give exactly the HTML of the macros that define them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

import sync_server.web
from sync_server.web import i18n
from sync_server.web.figures import PERCENT, Figure, bar_html, figure_html
from sync_server.web.templating import templates

VALUES: list[int | float | None] = [None, 0, 1, 7, 999, 1000, 1234, 1_234_567, -3, 12.5, 118.25]
PERCENTS: list[float | None] = [None, 0.0, 0, 0.04, 12.5, 99.95, 100.0, 100, 118.2, 250.0, -5.0]


def _macros(lang: str) -> Any:
    """The `_macros.html` module with a page's names (as `import … with context` sees them)."""
    names = {
        "_": i18n.gettext_for(lang),
        "n": lambda value: i18n.number(value, lang),
        "pct": lambda value: i18n.percent(value, lang),
    }
    return templates.env.get_template("_macros.html").make_module(names)


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("metric", ["achieved", "quota", PERCENT, "pending", "youth"])
@pytest.mark.parametrize("value", VALUES)
def test_figure_html_is_the_macro(lang: str, metric: str, value: int | float | None) -> None:
    if metric == PERCENT and isinstance(value, int):
        value = float(value)
    f = Figure("21862", "vneid", metric, value)
    assert str(figure_html(f, lang)) == str(_macros(lang).figure(f))


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_figure_html_escapes_what_the_macro_escapes(lang: str) -> None:
    f = Figure('<b>"x"&', "a'b<", "achieved", 5)
    drawn = figure_html(f, lang)
    assert isinstance(drawn, Markup)
    assert str(drawn) == str(_macros(lang).figure(f))
    assert "<b>" not in drawn and "&lt;b&gt;" in drawn


@pytest.mark.parametrize("percent", PERCENTS)
def test_bar_html_is_the_macro(percent: float | None) -> None:
    assert str(bar_html(percent)) == str(_macros("vi").bar(percent))


def test_figures_are_read_back_from_their_raw_value() -> None:
    drawn = figure_html(Figure("21862", "vneid", PERCENT, 118.25), "vi")
    assert 'data-value="118.2"' in drawn and ">118,2 %</data>" in drawn
    drawn = figure_html(Figure("21862", "vneid", "achieved", 1234), "vi")
    assert 'data-value="1234"' in drawn and ">1.234</data>" in drawn
    assert ">1,234</data>" in figure_html(Figure("21862", "vneid", "achieved", 1234), "en")


def test_no_page_draws_figures_with_the_macros() -> None:
    """Pages call `figure(...)`/`bar(...)`; the macros in _macros.html only define the HTML."""
    folder = Path(sync_server.web.__file__).parent / "templates"
    callers = [
        path.name
        for path in sorted(folder.glob("*.html"))
        if path.name != "_macros.html" and re.search(r"\bm\.(figure|bar)\(", path.read_text())
    ]
    assert callers == []
