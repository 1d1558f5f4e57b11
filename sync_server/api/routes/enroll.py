"""POST /enroll and POST /login: turning a one-time code or a password into a bearer token."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from fieldkit.domain import wire
from sync_server.api.deps import CurrentCaller, CurrentDevice, SessionDep, SettingsDep
from sync_server.api.errors import ApiError
from sync_server.api.openapi import errors
from sync_server.db.engine import writing
from sync_server.db.models import Device
from sync_server.services import devices, sign_in

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    """A staff user's id or exact name, and password."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(BaseModel):
    """A staff bearer token, shown once."""

    token: str
    user_id: int
    user_name: str
    role: str
    unit_code: str | None
    expires_at: datetime


def _client_address(request: Request) -> str:
    """The caller's address, as the server (or a trusted proxy, uvicorn --proxy-headers) saw it."""
    return request.client.host if request.client is not None else ""


def _throttled(exc: sign_in.Throttled) -> ApiError:
    return ApiError(429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})


@router.post("/enroll", responses=errors(401, 429))
def enroll(
    body: wire.EnrollRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> wire.EnrollResponse:
    """Spend a volunteer's one-time enrollment code on this laptop; returns its device token.

    Wrong, spent, expired and withdrawn codes get the same 401; too many refused codes from
    one address get 429 with Retry-After.
    """
    try:
        return sign_in.enroll(
            session,
            body.code,
            body.device_name,
            _client_address(request),
            public_key=body.public_key,
            limits=sign_in.Limits.from_settings(settings),
        )
    except sign_in.Throttled as exc:
        raise _throttled(exc) from exc
    except devices.EnrollmentError as exc:
        raise ApiError(401, exc.code, exc.message) from exc
    except devices.DeviceKeyError as exc:
        raise ApiError(400, exc.code, exc.message) from exc


@router.post(
    "/devices/key",
    responses=errors(403)
    | {
        400: {"model": wire.ErrorBody, "description": "Not an Ed25519 public key."},
        409: {"model": wire.ErrorBody, "description": "The device has another key already."},
    },
)
def register_key(
    body: wire.DeviceKeyRequest, device: CurrentDevice, session: SessionDep
) -> wire.DeviceKeyResponse:
    """A laptop enrolled before bundles were signed by the laptop registers its public key."""
    device_id = device.id
    try:
        with writing(session):
            stored = session.get(Device, device_id)
            assert stored is not None  # the token was just checked
            devices.register_key(session, stored, body.public_key)
    except devices.DeviceKeyError as exc:
        status = 409 if exc.code == "device_key_taken" else 400
        raise ApiError(status, exc.code, exc.message) from exc
    return wire.DeviceKeyResponse(device_id=device_id, public_key=body.public_key)


@router.post("/login", responses=errors(401, 429))
def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    """Check a staff user's password and return a login token valid for a working day.

    A locked account or address gets 429 with Retry-After, even with the right password.
    """
    try:
        result = sign_in.sign_in(
            session,
            body.user,
            body.password,
            _client_address(request),
            user_agent=request.headers.get("user-agent", ""),
            limits=sign_in.Limits.from_settings(settings),
        )
    except sign_in.Throttled as exc:
        raise _throttled(exc) from exc
    except devices.AuthError as exc:
        raise ApiError(401, exc.code, exc.message) from exc
    return LoginResponse(
        token=result.token,
        user_id=result.user_id,
        user_name=result.user_name,
        role=result.role,
        unit_code=result.unit_code,
        expires_at=result.expires_at,
    )


@router.post("/logout", status_code=204)
def logout(caller: CurrentCaller, session: SessionDep) -> None:
    """End a staff login session (an enrolled laptop is revoked by a coordinator instead)."""
    if not caller.is_login:
        raise ApiError(400, "not_a_login", "Laptops are revoked with `sync-server device revoke`.")
    with writing(session):
        devices.revoke(session, caller.device.id)
