"""Cross-site request forgery: a token in every form, tied to the session, and an Origin check.

The token is an HMAC of the session's cookie token (or, before sign-in, of the seed cookie),
so it differs per session, needs no storage, and another session's token never fits. Every
POST from a page also has to come from this site: a foreign Origin (or, when a browser sends
no Origin, a foreign Referer) is refused. Templates put `{{ csrf_field() }}` in every form.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request

from sync_server.web.cookies import SEED_COOKIE, SESSION_COOKIE

FIELD = "csrf_token"


def _sign(secret: str) -> str:
    return hmac.new(secret.encode(), b"fieldkit-web-csrf", hashlib.sha256).hexdigest()


def token_for(request: Request) -> str:
    """The token forms on this page must send back ('' when there is nothing to bind to)."""
    secret = (
        getattr(request.state, "csrf_secret", None)
        or request.cookies.get(SESSION_COOKIE)
        or request.cookies.get(SEED_COOKIE)
    )
    return _sign(secret) if secret else ""


def _ours(url: str, request: Request) -> bool:
    parts = urlsplit(url)
    host = (request.headers.get("host") or "").lower()
    return bool(parts.scheme) and bool(host) and parts.netloc.lower() == host


def same_origin(request: Request) -> bool:
    """Whether a post says it comes from this site; with neither Origin nor Referer, the token
    alone decides (some browsers and tools send neither)."""
    origin = request.headers.get("origin")
    if origin is not None:
        return _ours(origin, request)  # "null" (sandboxed or privacy-stripped) is refused
    referer = request.headers.get("referer")
    return _ours(referer, request) if referer else True


def valid(request: Request, sent: str | None) -> bool:
    """Whether a form's token was made for this browser's session (or seed) and the post is ours.

    Either cookie may be the one the page was rendered for (a stale session cookie still sits
    beside a fresh seed on the sign-in page); both are secrets only this browser holds.
    """
    if not sent or not same_origin(request):
        return False
    secrets = (request.cookies.get(SESSION_COOKIE), request.cookies.get(SEED_COOKIE))
    return any(s and hmac.compare_digest(_sign(s), sent) for s in secrets)
