"""GET /entries and POST /entries/{id}/review: staff reading and reviewing what volunteers saved."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from fieldkit.domain import wire
from sync_server.api.deps import SessionDep, StaffUser
from sync_server.api.errors import ApiError
from sync_server.api.openapi import errors
from sync_server.db.engine import writing
from sync_server.db.models import Entry, User
from sync_server.services import review
from sync_server.services.access import can_manage, entry_lineage, readable_unit
from sync_server.services.entries import EntryPage, EntryQuery, list_entries

router = APIRouter(prefix="/entries", tags=["entries"])


@router.get("", responses=errors(403, 404))
def read_entries(
    user: StaffUser,
    session: SessionDep,
    query: Annotated[EntryQuery, Query()],
) -> EntryPage:
    """A page of a unit's entries with masked identity numbers; each read is audited."""
    with writing(session):  # the audit log records every read
        unit = readable_unit(session, user, query.unit)
        return list_entries(session, user, unit, query)


@router.post("/{entry_id}/review", responses=errors(403, 404, 422))
def review_entry(
    entry_id: uuid.UUID,
    body: wire.ReviewWrite,
    user: StaffUser,
    session: SessionDep,
) -> wire.ReviewRead:
    """Approve, reject or flag an entry of a village under the reviewer's unit."""
    with writing(session):
        entry = session.get(Entry, str(entry_id))
        if entry is None:
            raise ApiError(404, "entry_not_found", f"There is no entry {entry_id}.")
        if not can_manage(user, entry_lineage(entry)):
            # Which village it belongs to is itself for that unit's staff only.
            raise ApiError(403, "forbidden", f"Entry {entry_id} is outside your unit.")
        try:
            saved = review.apply_review(session, str(entry_id), body.decision, body.reason, user)
        except review.EntryNotFound as exc:
            raise ApiError(404, "entry_not_found", f"There is no entry {entry_id}.") from exc
        except review.ReviewRefused as exc:
            raise ApiError(422, exc.code, exc.message) from exc
        reviewer = session.get(User, saved.reviewer_id) if saved.reviewer_id else None
    return wire.ReviewRead(
        entry_id=saved.entry_id,
        decision=wire.ReviewDecision(saved.decision),
        reason=saved.reason,
        reviewer=reviewer.name if reviewer else "",
        at=saved.at,
    )
