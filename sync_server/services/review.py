"""A coordinator's review of an entry; rejecting the counting entry hands the count on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import AuditLog, Entry, Review, User
from sync_server.services.changes import NewChange, lock_writers, record_changes
from sync_server.services.dedupe import counting_entries, entry_status_change, group_of, settle
from sync_server.services.tally import EntryState, TallyDeltas, apply_deltas


class EntryNotFound(LookupError):
    """No entry has that id."""

    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(f"no entry {entry_id}")


def apply_review(
    session: Session,
    entry_id: str,
    decision: wire.ReviewDecision | str,
    reason: str,
    reviewer: User,
) -> Review:
    """Record a decision; counts, tallies and the entry's device follow in this transaction."""
    verdict = wire.ReviewDecision(decision)
    lock_writers(session)
    entry = session.get(Entry, str(entry_id))
    if entry is None:
        raise EntryNotFound(str(entry_id))
    deltas = TallyDeltas()
    deltas.move(EntryState.of(entry), None)
    entry.counted = False
    entry.review_status = verdict.value
    deltas.move(None, EntryState.of(entry))
    now = datetime.now(UTC)
    review = Review(
        entry_id=entry.id, decision=verdict.value, reason=reason, reviewer_id=reviewer.id, at=now
    )
    session.add(review)
    session.add(
        AuditLog(at=now, user_id=reviewer.id, action="review", entry_id=entry.id, detail=verdict)
    )
    session.flush()
    key = group_of(entry)
    settlement = settle(session, {key}, deltas)
    changes = apply_deltas(session, deltas)
    others = [e for e in settlement.lost + settlement.gained if e.id != entry.id]
    counting = counting_entries(session, {key})
    holder = counting.get(key)
    status = entry_status_change(entry, holder if entry.outcome == "success" else None)
    changes.append(
        NewChange(
            "review",
            entry.id,
            entry.device_id,
            status.data
            | {
                "decision": verdict.value,
                "reason": reason,
                "reviewer": reviewer.name,
                "at": now.isoformat(),
            },
        )
    )
    changes.extend(entry_status_change(e, holder) for e in others)
    record_changes(session, changes)
    return review
