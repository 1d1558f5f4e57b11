"""/docs: the API's Swagger UI, served from this server's own files (no CDN on an office LAN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI for /openapi.json, with its script, stylesheet and icon from /static."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="fieldkit sync server — API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    )
