"""The browser's cookies: the session token, the pre-sign-in CSRF seed and the language.

Session and seed cookies are HttpOnly, SameSite=Strict, path /, and Secure whenever the page
was served over TLS (directly, or behind a proxy that says so when `forwarded_proto` is set).
"""

from __future__ import annotations

from fastapi import Request, Response

from sync_server.api.runtime import runtime_of

SESSION_COOKIE = "fk_session"
SEED_COOKIE = "fk_seed"
"""A random value before sign-in, so the sign-in form's CSRF token has something to bind to."""
LANG_COOKIE = "fk_lang"
LANG_MAX_AGE = 400 * 24 * 3600


def is_https(request: Request) -> bool:
    """Whether the browser reached us over TLS (trusting X-Forwarded-Proto only if told to)."""
    if request.url.scheme == "https":
        return True
    settings = runtime_of(request.app).settings
    if settings.forwarded_proto:
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
        return forwarded.lower() == "https"
    return False


def set_private(request: Request, response: Response, name: str, value: str) -> None:
    """Set a cookie scripts cannot read and other sites never get (a browser-session cookie)."""
    response.set_cookie(
        name, value, path="/", httponly=True, samesite="strict", secure=is_https(request)
    )


def clear(request: Request, response: Response, name: str) -> None:
    """Remove a cookie set by set_private."""
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=is_https(request)
    )


def set_lang(request: Request, response: Response, lang: str) -> None:
    """Remember the chosen language for a year (not secret: readable, but same-site only)."""
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=LANG_MAX_AGE,
        path="/",
        samesite="lax",
        secure=is_https(request),
    )
