"""Signing in and out, choosing one's own password, and the language switch."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from sync_server.api.deps import SessionDep
from sync_server.db.engine import writing
from sync_server.db.models import User
from sync_server.services import devices, passwords, web_sessions
from sync_server.web import cookies, i18n
from sync_server.web.deps import CheckedForm, SignedInAny, current_viewer, session_limits
from sync_server.web.errors import SignInRequired
from sync_server.web.landing import landing_path, safe_next
from sync_server.web.templating import render

router = APIRouter(tags=["web"], include_in_schema=False)

WRONG = "Wrong login name or password."


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _login_page(
    request: Request, *, next_path: str = "", username: str = "", error: str = "", info: str = ""
) -> Response:
    seed = request.cookies.get(cookies.SEED_COOKIE)
    if not seed:
        seed = secrets.token_urlsafe(32)
        request.state.csrf_secret = seed
    page = render(
        request,
        "login.html",
        {"next": next_path, "username": username, "error": error, "info": info},
        status=401 if error else 200,
    )
    if not request.cookies.get(cookies.SEED_COOKIE):
        cookies.set_private(request, page, cookies.SEED_COOKIE, seed)
    return page


@router.get("/login")
def login_form(
    request: Request,
    session: SessionDep,
    next: Annotated[str, Query(max_length=2000)] = "",
    expired: Annotated[str, Query(max_length=5)] = "",
    signed_out: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    """The sign-in form (a signed-in person goes straight to their page)."""
    viewer = current_viewer(request, session)
    if viewer is not None and not viewer.user.must_change_password:
        return RedirectResponse(safe_next(next) or landing_path(viewer.user), 303)
    info = ""
    if expired:
        info = "Your session has ended. Please sign in again."
    elif signed_out:
        info = "You have signed out."
    return _login_page(request, next_path=safe_next(next), info=info)


@router.post("/login")
def login(request: Request, session: SessionDep, form: CheckedForm) -> Response:
    """Check the password through the same service as POST /api/v1/login, open a new session."""
    username = _field(form, "username").strip()
    password = _field(form, "password")
    next_path = safe_next(_field(form, "next"))
    if not username or not password:
        return _login_page(request, next_path=next_path, username=username[:200], error=WRONG)
    address = request.client.host if request.client else ""
    try:
        with writing(session):
            user = devices.verify_login(session, username, password, address=address)
    except devices.AuthError:
        return _login_page(request, next_path=next_path, username=username[:200], error=WRONG)
    old = request.cookies.get(cookies.SESSION_COOKIE)
    limits = session_limits(request.app.state.settings)
    with writing(session):
        if old:
            web_sessions.revoke(session, old)
        opened = web_sessions.open_session(session, user, limits, address)
    target = "/password" if user.must_change_password else next_path or landing_path(user)
    response = RedirectResponse(target, status_code=303)
    cookies.set_private(request, response, cookies.SESSION_COOKIE, opened.token)
    cookies.clear(request, response, cookies.SEED_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, form: CheckedForm) -> Response:
    """End this session on the server and forget its cookie."""
    token = request.cookies.get(cookies.SESSION_COOKIE)
    if token:
        with writing(session):
            web_sessions.revoke(session, token)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    cookies.clear(request, response, cookies.SESSION_COOKIE)
    return response


@router.get("/password")
def password_form(request: Request, viewer: SignedInAny) -> Response:
    """Change one's own password (forced after a one-time password)."""
    return render(request, "password.html", {"forced": viewer.user.must_change_password})


@router.post("/password")
def change_password(
    request: Request, session: SessionDep, viewer: SignedInAny, form: CheckedForm
) -> Response:
    """Check the current password, save the new one, end every other session of this person."""
    forced = viewer.user.must_change_password
    new, again = _field(form, "new"), _field(form, "again")
    if new != again:
        error = "The two new passwords differ."
        return render(request, "password.html", {"forced": forced, "error": error}, 400)
    try:
        with writing(session):
            user = session.get(User, viewer.user.id)
            if user is None:
                raise SignInRequired()
            passwords.change_own_password(
                session, user, _field(form, "current"), new, keep_session=viewer.token
            )
    except passwords.PasswordError as exc:
        return render(request, "password.html", {"forced": forced, "error": exc.message}, 400)
    if forced:
        return RedirectResponse(landing_path(user), status_code=303)
    return render(request, "password.html", {"forced": False, "done": True})


@router.get("/lang")
def switch_language(
    request: Request,
    to: Annotated[str, Query(max_length=5)] = "",
    next: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """Switch between Vietnamese and English, then go back to the page."""
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    cookies.set_lang(request, response, i18n.pick_lang(to))
    return response
