"""Teams and laptops of a commune (`/teams`): volunteers per village, adding one with an
enrollment code (shown once), withdrawing an unused code, deactivating a volunteer, revoking a
laptop, and importing a bundle file brought on a USB stick (the same import as the API's).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from fieldkit.domain import wire
from fieldkit.domain.bundle import BundleError
from sync_server.api.deps import SessionDep, runtime_of
from sync_server.db.engine import reading, writing
from sync_server.db.models import Device, Unit, User
from sync_server.services import audit, devices
from sync_server.services.bundles import BundleRefused
from sync_server.services.laptops import STALE_AFTER, laptops_under
from sync_server.services.pushing import MutationGap
from sync_server.services.volunteers import (
    VolunteerError,
    add_volunteer,
    clean_phone,
    hand_out_code,
    pending_codes,
    set_active,
    volunteer_in,
    volunteers_in,
    withdraw_code,
)
from sync_server.web.communes import managed_commune, villages_of
from sync_server.web.deps import CheckedForm, SignedIn
from sync_server.web.errors import WebError
from sync_server.web.templating import render, request_lang

router = APIRouter(tags=["web"], include_in_schema=False)

GAP_MESSAGE = (
    "The bundle starts after entries this server never received: "
    "import the laptop's earlier bundle first."
)
MAX_BUNDLE_BYTES = 50_000_000
"""Largest bundle file the page takes (a laptop's whole backlog fits many times over)."""


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _page(
    request: Request,
    session: Session,
    commune: Unit,
    *,
    error: str = "",
    secret: dict[str, Any] | None = None,
    bundle: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    villages = villages_of(session, commune)
    people = volunteers_in(session, commune, None)
    laptops = laptops_under(session, commune, datetime.now(UTC), include_revoked=True)
    by_user: dict[int, list[Any]] = {}
    for item in laptops:
        by_user.setdefault(item.user_id, []).append(item)
    codes = {p.user_id: pending_codes(session, p.user_id) for p in people}
    return render(
        request,
        "teams.html",
        {
            "unit": commune,
            "commune_code": commune.code,
            "period": "",
            "villages": villages,
            "people": people,
            "laptops": by_user,
            "codes": codes,
            "stale_days": STALE_AFTER.days,
            "error": error,
            "secret": secret,
            "bundle": bundle,
        },
        status,
    )


@router.get("/teams")
def teams_page(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """Volunteers per village, their codes and laptops, and the bundle upload."""
    with reading(session):
        commune = managed_commune(session, viewer.user, request.query_params.get("unit"))
        return _page(request, session, commune)


def _volunteer(session: Session, commune: Unit, user_id: int) -> User:
    user = volunteer_in(session, commune, user_id)
    if user is None:
        raise WebError(404, detail="no such volunteer in this commune")
    return user


def _shown_once(
    request: Request, session: Session, commune: Unit, user: User, code: str
) -> Response:
    """The page with a new code on it: shown this once, never stored in clear."""
    codes = pending_codes(session, user.id)
    newest = codes[0] if codes else None
    return _page(
        request,
        session,
        commune,
        secret={
            "name": user.name,
            "code": code,
            "created_at": newest.created_at if newest else None,
            "expires_at": getattr(newest, "expires_at", None),
            "server": str(request.base_url).rstrip("/"),
        },
    )


@router.post("/teams/volunteers")
def add(request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm) -> Response:
    """Add a volunteer to a village of the commune and show their enrollment code once."""
    with reading(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
    lang = request_lang(request)
    try:
        with writing(session):
            village = session.get(Unit, _text(form, "village")[:20])
            if village is None or village.parent_code != commune.code or village.level != "village":
                raise VolunteerError(
                    "village", "Chọn một thôn của xã / Choose a village of the commune"
                )
            phone = clean_phone(_text(form, "phone"), lang)
            added = add_volunteer(
                session, village, _text(form, "name"), phone, _text(form, "youth_union") == "yes"
            )
            user = session.get(User, added.user_id)
            assert user is not None and added.code is not None
            audit.record(session, viewer.user, "volunteer.add", commune.code, f"user={user.id}")
    except VolunteerError as exc:
        return _refused(request, session, commune, exc.message)
    with reading(session):
        return _shown_once(request, session, commune, user, added.code)


def _refused(request: Request, session: Session, commune: Unit, message: str) -> Response:
    """The page again with what was refused (nothing of the refused request was saved)."""
    with reading(session):
        return _page(request, session, commune, error=message, status=400)


@router.post("/teams/volunteers/{user_id}/code")
def new_code(
    user_id: int, request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """Hand a volunteer a new enrollment code (for another laptop), shown once."""
    with reading(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
    try:
        with writing(session):
            user = _volunteer(session, commune, user_id)
            code = hand_out_code(session, user)
            audit.record(session, viewer.user, "code.issue", commune.code, f"user={user.id}")
    except VolunteerError as exc:
        return _refused(request, session, commune, exc.message)
    with reading(session):
        return _shown_once(request, session, commune, user, code)


@router.post("/teams/volunteers/{user_id}/codes/withdraw")
def withdraw(
    user_id: int, request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """Withdraw a volunteer's unused enrollment code."""
    with reading(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
    ref = _text(form, "ref")
    try:
        with writing(session):
            user = _volunteer(session, commune, user_id)
            if not ref:
                raise VolunteerError("code", "Mã không hợp lệ / Invalid code reference")
            count = withdraw_code(session, user.id, ref)
            audit.record(session, viewer.user, "code.withdraw", commune.code, f"user={user.id}")
    except VolunteerError as exc:
        return _refused(request, session, commune, exc.message)
    return RedirectResponse(f"/teams?unit={commune.code}&withdrawn={count}", status_code=303)


@router.post("/teams/volunteers/{user_id}/active")
def activate(
    user_id: int, request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """Deactivate (active=no) or reactivate (active=yes) a volunteer."""
    wanted = _text(form, "active")
    with writing(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
        user = _volunteer(session, commune, user_id)
        if wanted not in ("yes", "no"):
            raise WebError(400, detail="active must be yes or no")
        set_active(session, user, wanted == "yes")
        audit.record(
            session, viewer.user, f"volunteer.active.{wanted}", commune.code, f"user={user.id}"
        )
    return RedirectResponse(f"/teams?unit={commune.code}", status_code=303)


@router.post("/teams/devices/{device_id}/revoke")
def revoke(
    device_id: str, request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """Revoke a laptop of one of the commune's volunteers: its token stops working at once."""
    with writing(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
        device = session.get(Device, device_id[:36])
        if device is None or devices.is_login(device):
            raise WebError(404, detail="no such laptop")
        _volunteer(session, commune, device.user_id)
        devices.revoke(session, device.id)
        audit.record(session, viewer.user, "device.revoke", commune.code, f"device={device.id}")
    return RedirectResponse(f"/teams?unit={commune.code}&revoked=1", status_code=303)


@router.post("/teams/bundle")
def upload_bundle(
    request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm
) -> Response:
    """Import a bundle file from a laptop through the same ingest as a push; twice is harmless."""
    with reading(session):
        commune = managed_commune(session, viewer.user, _text(form, "unit"))
    upload = form.get("file")
    data = upload.file.read(MAX_BUNDLE_BYTES + 1) if isinstance(upload, UploadFile) else b""
    if not data or len(data) > MAX_BUNDLE_BYTES:
        return _refused(request, session, commune, "Choose a bundle file (at most 50 MB).")
    statuses: dict[str, int] = {}

    def audited(session: Session, result: wire.PushResponse) -> None:
        for item in result.results:
            statuses[item.status.value] = statuses.get(item.status.value, 0) + 1
        audit.record(session, viewer.user, "bundle.import", commune.code, str(statuses))

    pushing = runtime_of(request.app).pushing
    try:
        result = pushing.import_bundle(session, data, importer=viewer.user, then=audited)
    except (BundleError, BundleRefused, MutationGap) as exc:
        if isinstance(exc, BundleError) and request_lang(request) == "vi":
            message = exc.message_vi
        elif isinstance(exc, MutationGap):
            message = GAP_MESSAGE
        else:
            message = exc.message
        return _refused(request, session, commune, message)
    with reading(session):
        return _page(
            request,
            session,
            commune,
            bundle={"statuses": statuses, "last_mutation_id": result.last_mutation_id},
        )
