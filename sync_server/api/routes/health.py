"""GET /healthz: is the database reachable, which epoch and version is this server."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fieldkit.domain import wire
from sync_server.api.deps import SessionDep
from sync_server.api.errors import ApiError
from sync_server.services import secrets as server_secrets

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The server is up and its database answers."""

    status: str
    db: str
    server_epoch: str
    version: str
    protocol: str


def server_version() -> str:
    """The installed fieldkit distribution's version."""
    try:
        return version("fieldkit")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@router.get("/healthz")
def healthz(session: SessionDep) -> Health:
    """Database reachable, server epoch, software and protocol version (no token needed)."""
    try:
        session.execute(text("SELECT 1"))
        epoch = server_secrets.server_epoch(session)
        session.rollback()
    except SQLAlchemyError as exc:
        raise ApiError(503, "database_unavailable", "The database does not answer.") from exc
    return Health(
        status="ok",
        db="ok",
        server_epoch=epoch,
        version=server_version(),
        protocol=wire.PROTOCOL_VERSION,
    )
