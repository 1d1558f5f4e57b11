"""A coordinator's review of an entry; rejecting the counting entry hands the count on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import AuditLog, Entry, Review, User
from sync_server.services.changes import NewChange, lock_writers, record_changes
from sync_server.services.dedupe import counting_entries, entry_status_change, group_of, settle
from sync_server.services.tally import EntryState, TallyDeltas, apply_deltas

NEEDS_REASON = frozenset({wire.ReviewDecision.REJECTED, wire.ReviewDecision.HAS_ISSUES})
"""Decisions the volunteer must be told the reason for, to fix the entry."""
COMMON_REASONS = (
    ("Sai số định danh", "Wrong identity number"),
    ("Sai họ tên", "Wrong name"),
    ("Sai năm sinh hoặc giới tính", "Wrong birth year or sex"),
    ("Trùng với mục khác", "Duplicate of another entry"),
    ("Thiếu lý do hoặc lý do sai", "Reason missing or wrong"),
    ("Sai dịch vụ hoặc kết quả", "Wrong service or outcome"),
)
"""Reasons a reviewer picks most often (Vietnamese, English); free text is always allowed."""
MAX_REASON = 500


class ReviewRefused(ValueError):
    """A decision cannot be recorded as asked; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def checked_decision(decision: str, reason: str) -> tuple[wire.ReviewDecision, str]:
    """A decision and its trimmed reason; rejecting or flagging an entry needs a reason."""
    try:
        verdict = wire.ReviewDecision(decision)
    except ValueError:
        raise ReviewRefused(
            "decision_invalid", "Quyết định không hợp lệ / Unknown decision"
        ) from None
    text = " ".join(reason.split())
    if len(text) > MAX_REASON:
        raise ReviewRefused("reason_too_long", "Lý do quá dài / Reason too long (max 500)")
    if verdict in NEEDS_REASON and not text:
        raise ReviewRefused(
            "reason_required",
            "Cần ghi lý do khi từ chối hoặc đánh dấu có vấn đề / "
            "A reason is required to reject or flag an entry",
        )
    return verdict, text


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
    """Record a decision; counts, tallies and the entry's device follow in this transaction.

    Every caller (API, web page, bulk) goes through checked_decision here, so a rejection or a
    flag without a reason is refused (ReviewRefused) before anything is written.
    """
    verdict, reason = checked_decision(decision, reason)
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
        AuditLog(
            at=now,
            user_id=reviewer.id,
            action="review",
            entry_id=entry.id,
            detail=verdict,
            unit_code=entry.commune_code,
        )
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


def review_entries(
    session: Session,
    entry_ids: list[str],
    decision: str,
    reason: str,
    reviewer: User,
    commune_code: str,
) -> int:
    """One decision for several entries of one commune; ReviewRefused changes nothing.

    Every id must be an entry of the commune (the caller checked the reviewer's access to it).
    """
    verdict, text = checked_decision(decision, reason)
    ids = sorted(set(entry_ids))
    if not ids:
        raise ReviewRefused("nothing_selected", "Chưa chọn mục nào / No entry selected")
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            session.scalars(
                select(Entry.id).where(Entry.id.in_(chunk), Entry.commune_code == commune_code)
            )
        )
    if len(found) != len(ids):
        raise ReviewRefused(
            "entry_not_found",
            "Có mục không thuộc xã này hoặc không tồn tại / "
            "Some entries are not of this commune or do not exist",
        )
    for entry_id in ids:
        apply_review(session, entry_id, verdict, text, reviewer)
    return len(ids)
