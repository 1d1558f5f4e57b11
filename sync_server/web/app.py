"""Mounting the staff web app into the FastAPI app: routes, static files, error pages, /docs."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from sync_server.web.errors import install_web_errors
from sync_server.web.routes import (
    audit,
    auth,
    docs,
    people,
    quotas,
    reports,
    review,
    teams,
    units,
)
from sync_server.web.templating import STATIC_DIR


def install_web(app: FastAPI) -> None:
    """Add the staff pages to an app built with `docs_url=None` (we serve /docs ourselves).

    Call after the API's error handlers are installed: web paths get pages, the API keeps JSON.
    """
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for area in (auth, units, people, docs, review, quotas, teams, audit, reports):
        app.include_router(area.router)
    install_web_errors(app)
