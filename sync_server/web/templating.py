"""Rendering pages: one Jinja2 environment, and the names every template can use.

Every template gets: `request`, `lang`, `_` (translate), `n` (1.234), `pct` (12,5 %), `day`
(dd/mm/yyyy), `moment` (dd/mm/yyyy HH:MM), `viewer` (the signed-in person or None),
`csrf_field()` (the hidden field every form carries), `path` (this page's path, for the
language switch), `figure(f)` and `bar(percent)` (a Figure and a progress bar as HTML: see
sync_server.web.figures) and `is_figure`/`is_link` (cell tests for `_table.html`).

Templates are compiled once and never checked for changes on disk (`auto_reload` off): they
ship with the package, and the check cost a `stat` per template, include and import per page.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from sync_server.web import csrf, figures, i18n
from sync_server.web.audit_detail import audit_detail
from sync_server.web.cookies import LANG_COOKIE
from sync_server.web.words_commune import CODE_WORDS

TEMPLATE_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
templates = Jinja2Templates(directory=TEMPLATE_DIR)
templates.env.globals["is_figure"] = lambda cell: isinstance(cell, figures.Figure)
templates.env.globals["is_link"] = lambda cell: isinstance(cell, figures.Link)
templates.env.globals["word"] = lambda code: CODE_WORDS.get(code, code)
templates.env.globals["audit_detail"] = audit_detail
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.auto_reload = False
templates.env.globals["bar"] = figures.bar_html

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def request_lang(request: Request) -> str:
    """The visitor's language: the fk_lang cookie, else Vietnamese."""
    return i18n.pick_lang(request.cookies.get(LANG_COOKIE))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page from a template, with the common names, security headers and no caching."""
    lang = request_lang(request)
    token = csrf.token_for(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    common: dict[str, Any] = {
        "lang": lang,
        "_": i18n.gettext_for(lang),
        "n": lambda value: i18n.number(value, lang),
        "pct": lambda value: i18n.percent(value, lang),
        "day": i18n.day,
        "moment": i18n.moment,
        "figure": partial(figures.figure_html, lang=lang),
        "viewer": getattr(request.state, "viewer", None),
        "csrf_field": lambda: Markup(f'<input type="hidden" name="{csrf.FIELD}" value="{token}">'),
        "csrf_token": token,
        "path": request.url.path,
        "here": quote(here, safe=""),
    }
    response = templates.TemplateResponse(
        request, name, {**common, **(context or {})}, status_code=status
    )
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response
