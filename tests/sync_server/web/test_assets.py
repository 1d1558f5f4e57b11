"""Nothing from the internet: pages, the stylesheet and /docs use only this server's own files."""

from __future__ import annotations

import re

from api_factories import COMMUNE_A, World
from fastapi.testclient import TestClient
from web_helpers import sign_in, staff

from sync_server.web.templating import STATIC_DIR

REFERENCE = re.compile(r"""(?:src|href|action|content)\s*=\s*["']([^"']*)["']""", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def _external(references: list[str]) -> list[str]:
    """References that would leave this server (absolute http(s) or protocol-relative)."""
    return [r for r in references if re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", r, re.I)]


def _pages(client: TestClient, world: World) -> dict[str, str]:
    pages = {"/login": client.get("/login").text, "/nope": client.get("/nope").text}
    staff(world, "admin", None, "Quản trị", login="admin")
    sign_in(client, "admin")
    for path in ("/units", f"/units/{COMMUNE_A}", "/password", "/units/99999", "/docs"):
        pages[path] = client.get(path).text
    return pages


def test_no_page_references_anything_outside_this_server(client: TestClient, world: World) -> None:
    pages = _pages(client, world)
    for path, html in pages.items():
        references = REFERENCE.findall(html)
        assert references, path
        assert _external(references) == [], path
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html):
            assert "http:" not in tag and "https:" not in tag, (path, tag)


def test_docs_serve_swagger_ui_from_here(client: TestClient) -> None:
    html = client.get("/docs").text
    assets = [r for r in REFERENCE.findall(html) if r.startswith("/static/")]
    assert len(assets) == 3
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 100, asset
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").json()["paths"]["/api/v1/login"]


def test_the_stylesheet_and_scripts_load_nothing_from_elsewhere(client: TestClient) -> None:
    for name in ("fieldkit.css", "swagger/swagger-ui.css"):
        css = (STATIC_DIR / name).read_text()
        urls = [u for u in CSS_URL.findall(css) if not u.startswith("data:")]
        assert urls == [], name
        assert "@import" not in css
    htmx = (STATIC_DIR / "htmx.min.js").read_text()
    assert htmx.startswith("/*! htmx 2.") and "Zero-Clause BSD" in htmx[:600]
    for name in ("fieldkit.css", "fieldkit.js", "htmx.min.js", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200


def test_pages_forbid_inline_scripts_and_framing(client: TestClient) -> None:
    response = client.get("/login")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert " style=" not in response.text
