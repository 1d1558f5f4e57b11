"""POST /sync/push and GET /sync/pull: the device side of the sync protocol."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.api.deps import CurrentDevice, SessionDep
from sync_server.api.errors import ApiError
from sync_server.api.json_body import openapi_body, parse_body, request_body
from sync_server.api.openapi import errors
from sync_server.db.engine import reading, writing, writing_if_free
from sync_server.db.models import Device
from sync_server.services import admission, bundles, changes, devices, ingest

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
) -> Response:
    """Apply a batch of outbox mutations; the ack is sent only after the commit is durable.

    Entries are checked (and their rows made) before the writers' lock is taken, so while
    one push writes (SQLite works without the GIL, other workers in other processes) the
    next one's checks run; pushes then take the lock in turn instead of polling SQLite's
    busy handler. One push per process checks at a time (`app.state.checking`): more would
    only take the GIL from the one that writes. And that one checker steps aside (`pause`,
    between chunks of entries) while a push of its own process holds the writers' lock: a
    writer that must win the GIL back after every row SQLite writes held the lock ~40 %
    longer (66–74 ms instead of 46 ms per batch of 500, measured with 2 workers); the other
    process's checker keeps the second core busy meanwhile. Units, services and the team are
    read in a read transaction just before: a push that races a team change is taken as if it
    had arrived a moment earlier. A process busy with other pushes asks the client to
    reconnect (sync_server.api.push_load), so pushes spread over the worker processes.

    Pushes run on a few threads of their own (`app.state.push_threads`) and wait for one
    without holding any; when `push_queue` pushes already wait, the next one is told to come
    back later (503, the laptop resends it), so a flood of pushes never starves the requests
    that only read.
    """
    threads = request.app.state.push_threads
    if threads.statistics().tasks_waiting >= request.app.state.settings.push_queue:
        raise ApiError(
            503,
            "server_busy",
            "The server is busy with other laptops' data; send the same request again shortly.",
            headers={"Retry-After": "1"},
        )
    with request.app.state.push_load as load:
        work = partial(_push, raw, request, device, session)
        content = await anyio.to_thread.run_sync(work, limiter=threads)
        return Response(content=content, media_type="application/json", headers=load.headers())


def _push(raw: bytes, request: Request, device: Device, session: Session) -> bytes:
    """Check the batch, then apply it under the writers' lock; the response body."""
    pause = request.app.state.writers.idle.wait
    with request.app.state.checking:
        pause()
        body = parse_body(wire.PushRequest, raw, request.headers.get("content-type"))
        mutations = body.mutations
        if b"\\u0000" in raw:  # JSON can only carry NUL escaped
            mutations = bundles.without_nul(mutations)
        secret: str = request.app.state.secret
        prepared = admission.prepare(mutations, secret, pause)
        pause()
        with reading(session):
            late_after = timedelta(days=request.app.state.settings.late_entry_days)
            admitted = admission.admit(session, device, prepared, late_after)
    with request.app.state.writers:
        try:
            with writing(session):
                ingested = ingest.ingest_prepared(session, device, admitted)
        except ingest.MutationGap as gap:
            raise ApiError(
                409,
                "mutation_gap",
                f"Mutations are missing before this batch: expected mutation {gap.expected} next.",
                expected=gap.expected,
            ) from gap
    return ingested.response_json()


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
