"""POST /bundles: a coordinator uploads a laptop's sneakernet bundle (same as `import-bundle`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from fieldkit.domain import wire
from sync_server.api.deps import SessionDep, StaffUser
from sync_server.api.errors import ApiError
from sync_server.api.openapi import errors
from sync_server.api.push_refusals import BUNDLE_GAP, push_refusals
from sync_server.api.runtime import RuntimeDep

router = APIRouter(tags=["bundles"])


async def _raw_body(request: Request) -> bytes:
    """The uploaded file's bytes (already capped by the body middleware)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post("/bundles", responses=errors(403, 409))
def upload_bundle(
    data: RawBody, user: StaffUser, session: SessionDep, runtime: RuntimeDep
) -> wire.PushResponse:
    """Import a signed bundle through the push pipeline; importing it again adds nothing."""
    if not data:
        raise ApiError(400, "bundle_empty", "The upload is empty; send the bundle file's bytes.")
    with push_refusals(BUNDLE_GAP):
        return runtime.pushing.import_bundle(session, data, importer=user)
