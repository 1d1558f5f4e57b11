"""POST /sync/push and GET /sync/pull: the device side of the sync protocol."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.exc import OperationalError

from fieldkit.domain import wire
from sync_server.api.deps import CurrentDevice, SessionDep
from sync_server.api.errors import ApiError
from sync_server.api.json_body import openapi_body, parse_body, request_body
from sync_server.api.openapi import errors
from sync_server.api.push_refusals import PUSH_GAP, push_refusals
from sync_server.api.runtime import RuntimeDep
from sync_server.db.engine import writing_if_free
from sync_server.services import changes, devices

router = APIRouter(prefix="/sync", tags=["sync"])

MAX_CURSOR = 2**63 - 1
"""Change sequences are 64-bit integers in both databases."""


def _json(model: wire.ReadModel) -> Response:
    """Serialise once: the model was built by the service, so FastAPI need not re-validate it."""
    return Response(content=model.model_dump_json(), media_type="application/json")


@router.post(
    "/push",
    response_model=wire.PushResponse,
    responses=errors(403, 409),
    openapi_extra=openapi_body(wire.PushRequest),
)
async def push(
    raw: Annotated[bytes, Depends(request_body)],
    request: Request,
    device: CurrentDevice,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Apply a batch of outbox mutations; the ack is sent only after the commit is durable.

    The pipeline (check → admit → ingest under the writers' lock) is services/pushing.py.
    Pushes run on a few threads of their own (`Runtime.push_threads`) and wait for one
    without holding any; when `push_queue` pushes already wait, the next one is told to come
    back later (503, the laptop resends it), so a flood of pushes never starves the requests
    that only read. A process busy with other pushes asks the client to reconnect
    (sync_server.api.push_load), so pushes spread over the worker processes.
    """
    threads = runtime.push_threads
    if threads.statistics().tasks_waiting >= runtime.settings.push_queue:
        raise ApiError(
            503,
            "server_busy",
            "The server is busy with other laptops' data; send the same request again shortly.",
            headers={"Retry-After": "1"},
        )
    parse = partial(parse_body, wire.PushRequest, content_type=request.headers.get("content-type"))
    work = partial(runtime.pushing.push, session, device, raw, parse)
    with runtime.push_load as load, push_refusals(PUSH_GAP):
        content = await anyio.to_thread.run_sync(work, limiter=threads)
        return Response(content=content, media_type="application/json", headers=load.headers())


@router.get("/pull", response_model=wire.PullResponse, responses=errors(403))
def pull(
    device: CurrentDevice,
    session: SessionDep,
    cursor: Annotated[int, Query(ge=0, le=MAX_CURSOR)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    """Changes for this device after `cursor`, one page at a time."""
    response = changes.pull(session, device, cursor, limit)
    session.commit()
    try:
        with writing_if_free(session):
            devices.note_sync(session, device.id)
    except OperationalError:  # another writer holds the lock: a pull never waits for it
        pass
    return _json(response)
