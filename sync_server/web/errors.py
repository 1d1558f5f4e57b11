"""Errors on staff pages are pages written for people; API paths keep their JSON envelope.

Raise `WebError` (or let an `AccessError` from the policy through) in a web route and the
handlers here render `error.html`: a title, what happened, what to do, and the technical reason
folded in a `<details>`. No figure of any unit is ever on an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from fieldkit.domain import wire
from sync_server.services.access import AccessError
from sync_server.web import i18n, templating

log = logging.getLogger("sync_server.web")

Handler = Callable[[Request, Exception], Awaitable[Response]]

# status → (title, what to do); texts are keys of i18n.VI.
_PAGES: dict[int, tuple[str, str]] = {
    400: (
        "Something is wrong with the request",
        "Nothing was changed. Check what you typed and try again.",
    ),
    403: (
        "Not allowed",
        "If you need it, ask the province or an administrator to widen your access.",
    ),
    404: (
        "Page not found",
        "There is no page at this address. Check the link, or start again from your page.",
    ),
    429: ("Too many attempts", "Nothing was changed. Wait a while, then try again."),
    503: ("The server is busy", "Nothing was lost. Wait a moment and try again."),
    500: (
        "Something went wrong",
        "Nothing was saved. Try again; if it keeps happening, tell your technician.",
    ),
}


class WebError(Exception):
    """A refusal shown as a page: status, an optional title and message (i18n keys), detail."""

    def __init__(
        self, status: int, message: str = "", *, title: str = "", detail: str = ""
    ) -> None:
        super().__init__(detail or message or str(status))
        self.status = status
        self.title = title
        self.message = message
        self.detail = detail


class SignInRequired(Exception):
    """No live session: the visitor is sent to the sign-in page (and back afterwards)."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.expired = expired


class PasswordChangeRequired(Exception):
    """The person signed in with a one-time password and must choose their own first."""


def is_web_path(path: str) -> bool:
    """Whether a path belongs to the staff pages (everything but the API and its schema)."""
    return not (path.startswith(wire.API_PREFIX) or path == "/openapi.json")


def error_page(request: Request, error: WebError) -> Response:
    """The page for one refusal, in the visitor's language (JSON for a page's `.json` twin)."""
    title, advice = _PAGES.get(error.status, _PAGES[500 if error.status >= 500 else 400])
    if request.url.path.endswith(".json"):
        lang = templating.request_lang(request)
        text = i18n.translate(error.message or title, lang)
        code = error.detail if error.detail.isidentifier() else "error"
        return JSONResponse(
            {"error": {"code": code, "message": text}},
            status_code=error.status,
            headers={"Cache-Control": "no-store"},
        )
    return templating.render(
        request,
        "error.html",
        {
            "title": error.title or title,
            "message": error.message,
            "advice": advice,
            "detail": error.detail,
            "status": error.status,
        },
        status=error.status,
    )


def _web_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebError)
    return error_page(request, exc)


def _access_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AccessError)
    message = "This page is outside what your account may see." if exc.status == 403 else ""
    return error_page(request, WebError(exc.status, message, detail=exc.code))


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code if exc.status_code in _PAGES else 400
    if exc.status_code == 405:
        status = 404
    return error_page(request, WebError(status, detail=f"HTTP {exc.status_code}"))


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:5])
    return error_page(request, WebError(400, detail=f"invalid: {fields}"))


def _busy(request: Request, exc: Exception) -> Response:
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    response = error_page(request, WebError(503, detail="database busy"))
    response.headers["Retry-After"] = "1"
    return response


def _internal(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, WebError(500, detail=type(exc).__name__))


def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = f"?next={quote(target, safe='')}" + ("&expired=1" if exc.expired else "")
    return RedirectResponse(f"/login{query}", status_code=303)


def _password_change(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/password", status_code=303)


def install_web_errors(app: FastAPI) -> None:
    """Send web paths' failures to pages; API paths keep the handlers installed before."""

    def split(kind: type[Exception], web: Callable[[Request, Exception], Response]) -> None:
        api: Handler | None = app.exception_handlers.get(kind)  # type: ignore[assignment]

        async def handler(request: Request, exc: Exception) -> Response:
            if api is not None and not is_web_path(request.url.path):
                return await api(request, exc)
            return web(request, exc)

        app.add_exception_handler(kind, handler)

    table: list[tuple[type[Exception], Callable[[Request, Exception], Response]]] = [
        (AccessError, _access_error),
        (StarletteHTTPException, _http_error),
        (RequestValidationError, _validation_error),
        (OperationalError, _busy),
        (IntegrityError, _busy),
        (PoolTimeout, _busy),
        (Exception, _internal),
    ]
    for kind, web in table:
        split(kind, web)
    app.add_exception_handler(WebError, _as_async(_web_error))
    app.add_exception_handler(SignInRequired, _as_async(_sign_in))
    app.add_exception_handler(PasswordChangeRequired, _as_async(_password_change))


def _as_async(handler: Callable[[Request, Exception], Response]) -> Any:
    async def wrapped(request: Request, exc: Exception) -> Response:
        return handler(request, exc)

    return wrapped
