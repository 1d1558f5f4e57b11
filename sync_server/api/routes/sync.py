"""POST /sync/push and GET /sync/pull: the device side of the sync protocol."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from fieldkit.domain import wire
from sync_server.api.deps import CurrentDevice, SessionDep
from sync_server.api.errors import ApiError
from sync_server.services import bundles, changes, ingest

router = APIRouter(prefix="/sync", tags=["sync"])

MAX_CURSOR = 2**63 - 1
"""Change sequences are 64-bit integers in both databases."""


def _json(model: wire.ReadModel) -> Response:
    """Serialise once: the model was built by the service, so FastAPI need not re-validate it."""
    return Response(content=model.model_dump_json(), media_type="application/json")


@router.post("/push", response_model=wire.PushResponse)
def push(body: wire.PushRequest, device: CurrentDevice, session: SessionDep) -> Response:
    """Apply a batch of outbox mutations; the ack is sent only after the commit is durable."""
    try:
        response = ingest.ingest_mutations(session, device, bundles.without_nul(body.mutations))
    except ingest.MutationGap as gap:
        session.rollback()
        raise ApiError(
            409,
            "mutation_gap",
            f"Mutations are missing before this batch: expected mutation {gap.expected} next.",
            expected=gap.expected,
        ) from gap
    session.commit()
    return _json(response)


@router.get("/pull", response_model=wire.PullResponse)
def pull(
    device: CurrentDevice,
    session: SessionDep,
    cursor: Annotated[int, Query(ge=0, le=MAX_CURSOR)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    """Changes for this device after `cursor`, one page at a time."""
    response = changes.pull(session, device, cursor, limit)
    session.commit()
    return _json(response)
