"""FastAPI dependencies: the runtime, settings, one session per request, and the caller behind
the token. The staff pages (sync_server.web) use them too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sync_server.api.errors import ApiError
from sync_server.api.runtime import Runtime, RuntimeDep, runtime_of
from sync_server.db.engine import reading
from sync_server.db.models import Device, User
from sync_server.services import devices
from sync_server.services.access import require_staff
from sync_server.settings import ServerSettings

__all__ = [
    "Caller",
    "CurrentCaller",
    "CurrentDevice",
    "CurrentUser",
    "Runtime",
    "RuntimeDep",
    "SessionDep",
    "SettingsDep",
    "StaffUser",
    "runtime_of",
]

_bearer = HTTPBearer(auto_error=False, description="A device token or a staff login token.")


def get_settings(runtime: RuntimeDep) -> ServerSettings:
    """The settings the app was built with."""
    return runtime.settings


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A session for this request: it reads (plain BEGIN) unless the route opts in to a write
    with `writing(session)`; anything uncommitted is rolled back."""
    with runtime.sessionmaker() as session:
        yield session


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's device row (a laptop or a staff login) and its user."""

    device: Device
    user: User

    @property
    def is_login(self) -> bool:
        """Whether the token is a staff login rather than an enrolled laptop."""
        return devices.is_login(self.device)


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def get_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Resolve the bearer token; 401 token_missing / token_invalid / token_revoked otherwise.

    The check is a read transaction that ends at once: it never waits for a writer, and the
    route's own transaction (read or write) starts afresh.
    """
    if credentials is None or not credentials.credentials.strip():
        raise _unauthorized("token_missing", "Send your token as 'Authorization: Bearer <token>'.")
    with reading(session):
        try:
            device = devices.authenticate(session, credentials.credentials.strip())
        except devices.AuthError as exc:
            raise _unauthorized(exc.code, exc.message) from exc
        user = session.get(User, device.user_id)
        if user is None:
            raise _unauthorized("token_invalid", "This token's user no longer exists.")
    return Caller(device=device, user=user)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def get_current_device(caller: CurrentCaller) -> Device:
    """An enrolled laptop (not a staff login): only those push and pull."""
    if caller.is_login:
        raise ApiError(403, "device_required", "Only an enrolled fieldkit laptop may sync.")
    return caller.device


def get_current_user(caller: CurrentCaller) -> User:
    """The user behind any valid token."""
    return caller.user


def get_staff_user(caller: CurrentCaller) -> User:
    """A coordinator, province officer or admin."""
    require_staff(caller.user)
    return caller.user


CurrentDevice = Annotated[Device, Depends(get_current_device)]
CurrentUser = Annotated[User, Depends(get_current_user)]
StaffUser = Annotated[User, Depends(get_staff_user)]
