"""People's accounts: staff give someone under them a one-time password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from sync_server.api.deps import SessionDep
from sync_server.db.engine import reading, writing
from sync_server.db.models import Unit, User
from sync_server.services import access, passwords
from sync_server.web.deps import CheckedForm, SignedIn
from sync_server.web.errors import WebError
from sync_server.web.templating import render

router = APIRouter(tags=["web"], include_in_schema=False)

UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
"""A user number as the database stores it (an out-of-range one is a 400, not a crash)."""


def _person(session: SessionDep, viewer_user: User, user_id: int) -> User:
    """Someone whose password the viewer may reset; 404 page for people they may not see."""
    person = session.get(User, user_id)
    unit = session.get(Unit, person.unit_code) if person and person.unit_code else None
    if person is None or not access.manageable_user(viewer_user, person, unit):
        raise WebError(404, detail="no such person in your units")
    if not access.is_staff(person):
        raise WebError(400, "Volunteers have no password: hand out an enrollment code.")
    return person


@router.get("/people/{user_id}/password-reset")
def reset_form(
    user_id: UserId, request: Request, session: SessionDep, viewer: SignedIn
) -> Response:
    """Ask before giving someone a one-time password."""
    with reading(session):
        person = _person(session, viewer.user, user_id)
    return render(request, "password_reset.html", {"person": person})


@router.post("/people/{user_id}/password-reset")
def reset(
    user_id: UserId, request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """Give someone a one-time password, shown once; their sessions end."""
    with writing(session):
        person = _person(session, viewer.user, user_id)
        password = passwords.reset_password(session, viewer.user, person)
    return render(request, "password_reset.html", {"person": person, "password": password})
