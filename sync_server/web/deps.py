"""What web routes depend on: the signed-in person, a checked form, the page's period.

- `SignedIn` (a `Viewer`): the live session's user; a visitor without one is sent to /login,
  someone holding a one-time password to /password, a volunteer gets the 403 page.
- `CheckedForm`: the posted form after the CSRF token and Origin were checked (403 page
  otherwise, before anything is read or changed).
- `PagePeriod`: `?period=YYYY`, default the current period (a calendar year in Vietnam).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.exc import OperationalError
from starlette.datastructures import FormData

from fieldkit.domain import period_of
from fieldkit.domain.digits import is_ascii_digits
from sync_server.api.deps import SessionDep, runtime_of
from sync_server.db.engine import reading, writing
from sync_server.db.models import User, WebSession
from sync_server.services import access, web_sessions
from sync_server.settings import ServerSettings
from sync_server.web import csrf
from sync_server.web.cookies import SESSION_COOKIE
from sync_server.web.errors import PasswordChangeRequired, SignInRequired, WebError

MAX_FIELD = 10_000
"""Longest value of any form field the staff pages accept (uploads are files, not fields)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person looking at a page, and their session."""

    user: User
    session_row: WebSession
    token: str

    @property
    def is_admin(self) -> bool:
        """Admins see every unit."""
        return self.user.role == "admin"


def session_limits(settings: ServerSettings) -> web_sessions.SessionLimits:
    """The idle and absolute lifetimes from the settings."""
    return web_sessions.SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_hours),
    )


def current_viewer(request: Request, session: SessionDep) -> Viewer | None:
    """The live session's person, or None (no cookie, unknown, expired or revoked)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    limits = session_limits(runtime_of(request.app).settings)
    now = datetime.now(UTC)
    with reading(session):
        found = web_sessions.live_session(session, token, limits, now)
    if found is None:
        return None
    row, user = found
    # Detached with every column loaded: the person stays readable whatever the route does to
    # the session afterwards (a rollback would otherwise expire them mid-render).
    session.expunge(row)
    session.expunge(user)
    if web_sessions.needs_touch(row, now):
        try:
            with writing(session):
                web_sessions.touch(session, row.id_hash, now)
        except OperationalError:  # busy writers: the page matters more than the timestamp
            pass
    viewer = Viewer(user=user, session_row=row, token=token)
    request.state.viewer = viewer
    return viewer


def signed_in_any(request: Request, session: SessionDep) -> Viewer:
    """A live session, even one that must change its password first (the /password page)."""
    viewer = current_viewer(request, session)
    if viewer is None:
        raise SignInRequired(expired=bool(request.cookies.get(SESSION_COOKIE)))
    return viewer


def signed_in(viewer: Annotated[Viewer, Depends(signed_in_any)]) -> Viewer:
    """A live staff session with a password of the person's own choosing."""
    if viewer.user.must_change_password:
        raise PasswordChangeRequired()
    try:
        access.require_staff(viewer.user)
    except access.AccessError as exc:
        raise WebError(
            403,
            "Volunteers have no staff pages: use the fieldkit app on your laptop.",
            detail=exc.code,
        ) from exc
    return viewer


async def checked_form(request: Request) -> FormData:
    """The posted form, refused with the 403 page unless its CSRF token and Origin are ours."""
    try:
        form = await request.form(max_files=10, max_fields=200)
    except Exception as exc:  # a malformed body is the sender's fault, never a 5xx
        raise WebError(400, detail=f"unreadable form: {type(exc).__name__}") from exc
    for key, value in form.multi_items():
        if isinstance(value, str) and (len(value) > MAX_FIELD or "\x00" in value):
            raise WebError(400, detail=f"field {key[:40]!r} is too long or holds NUL")
    sent = form.get(csrf.FIELD)
    if not csrf.valid(request, sent if isinstance(sent, str) else None):
        raise WebError(
            403,
            "Nothing was changed. Reload the page and send the form again.",
            title="The form has expired",
            detail="csrf: the form's token or origin did not match this session",
        )
    return form


def page_period(
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> str:
    """The period a page shows: ?period=YYYY, default the current one."""
    if period is None or not period.strip():
        return period_of(datetime.now(UTC))
    text = period.strip()
    if len(text) != 4 or not is_ascii_digits(text):
        raise WebError(400, "The period must be a year, such as 2026.", detail="period")
    return text


SignedIn = Annotated[Viewer, Depends(signed_in)]
SignedInAny = Annotated[Viewer, Depends(signed_in_any)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
PagePeriod = Annotated[str, Depends(page_period)]
