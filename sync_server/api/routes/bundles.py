"""POST /bundles: a coordinator uploads a laptop's sneakernet bundle (same as `import-bundle`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from fieldkit.domain import wire
from sync_server.api.deps import SessionDep, StaffUser
from sync_server.api.errors import ApiError
from sync_server.api.openapi import errors
from sync_server.db.engine import writing
from sync_server.services import bundles, ingest

router = APIRouter(tags=["bundles"])


async def _raw_body(request: Request) -> bytes:
    """The uploaded file's bytes (already capped by the body middleware)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post("/bundles", responses=errors(403, 409))
def upload_bundle(
    data: RawBody, user: StaffUser, session: SessionDep, request: Request
) -> wire.PushResponse:
    """Import a signed bundle through the ingest path; importing it again adds nothing."""
    if not data:
        raise ApiError(400, "bundle_empty", "The upload is empty; send the bundle file's bytes.")
    try:
        with writing(session):
            return bundles.import_bundle(
                session,
                data,
                importer=user,
                secret=request.app.state.secret,
                late_after=timedelta(days=request.app.state.settings.late_entry_days),
            )
    except bundles.BundleError as exc:
        raise ApiError(400, f"bundle_{exc.code}", exc.message) from exc
    except bundles.BundleRefused as exc:
        raise ApiError(403, exc.code, exc.message) from exc
    except ingest.MutationGap as gap:
        raise ApiError(
            409,
            "mutation_gap",
            f"The server is missing this laptop's earlier data: expected mutation {gap.expected}.",
            expected=gap.expected,
        ) from gap
