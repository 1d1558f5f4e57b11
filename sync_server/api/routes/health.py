"""GET /healthz: is the database reachable, which epoch and version is this server."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import anyio.to_thread
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.domain import wire
from sync_server.api.errors import ApiError
from sync_server.api.runtime import RuntimeDep
from sync_server.db.engine import ReadOnlyViolation
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


def _database_epoch(factory: sessionmaker[Session]) -> str:
    """The epoch, read in a session of its own (a read transaction)."""
    with factory() as session:
        try:
            session.execute(text("SELECT 1"))
            return server_secrets.server_epoch(session)
        except (SQLAlchemyError, ReadOnlyViolation) as exc:
            raise ApiError(503, "database_unavailable", "The database does not answer.") from exc


@router.get("/healthz")
async def healthz(runtime: RuntimeDep) -> Health:
    """Database reachable, server epoch, software and protocol version (no token needed).

    The database is asked on a thread of its own (`Runtime.health_threads`), so a server
    whose request threads are all busy still answers at once whether it is alive.
    """
    epoch = await anyio.to_thread.run_sync(
        _database_epoch, runtime.sessionmaker, limiter=runtime.health_threads
    )
    return Health(
        status="ok",
        db="ok",
        server_epoch=epoch,
        version=server_version(),
        protocol=wire.PROTOCOL_VERSION,
    )
