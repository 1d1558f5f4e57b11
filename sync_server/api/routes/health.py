"""GET /healthz: is the database reachable, which epoch and version is this server."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from fieldkit.domain import wire
from sync_server.api.errors import ApiError
from sync_server.api.runtime import RuntimeDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The server is up and its database answers."""

    status: str
    db: str
    server_epoch: str
    version: str
    protocol: str


@cache
def server_version() -> str:
    """The installed fieldkit distribution's version (read once: reading it takes ~0.7 ms)."""
    try:
        return version("fieldkit")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@router.get("/healthz", response_model=Health)
async def healthz(runtime: RuntimeDep) -> Response:
    """Database reachable, server epoch, software and protocol version (no token needed).

    Answered on the event loop from the last database check (`Runtime.health`, a
    sync_server.api.health_watch.HealthWatch: at most a few seconds old), so a server whose
    threads are all busy still answers at once; 503 when the database failed or the last
    good check is too old.
    """
    state = runtime.health.current()
    if not state.db_ok:
        raise ApiError(503, "database_unavailable", "The database does not answer.")
    health = Health(
        status="ok",
        db="ok",
        server_epoch=state.epoch,
        version=server_version(),
        protocol=wire.PROTOCOL_VERSION,
    )
    return Response(health.model_dump_json(), media_type="application/json")
