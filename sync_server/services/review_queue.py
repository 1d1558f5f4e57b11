"""A commune's review queue: which entries match a filter, and deciding many of them at once."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sync_server.db.models import Entry, Review, Team, Unit, User
from sync_server.services.entries import EntryQuery, entry_conditions
from sync_server.services.review import review_entries

MAX_BULK = 1000
"""Most entries one "everything matching" decision changes (the newest first); press again."""
REVIEW_STATES = ("pending", "has_issues", "approved", "rejected")


def matching_ids(
    session: Session, commune: Unit, query: EntryQuery, limit: int, after: Entry | None = None
) -> list[str]:
    """Ids of the commune's entries matching the filter, in queue order (newest first).

    With `after`, only those that come after that entry in the queue (one by one, skipping).
    """
    conditions = entry_conditions(commune, query)
    if after is not None:
        conditions.append(
            or_(
                Entry.assisted_at < after.assisted_at,
                and_(Entry.assisted_at == after.assisted_at, Entry.id > after.id),
            )
        )
    return list(
        session.scalars(
            select(Entry.id)
            .where(*conditions)
            .order_by(Entry.assisted_at.desc(), Entry.id)
            .limit(limit)
        )
    )


def decide_matching(
    session: Session,
    commune: Unit,
    query: EntryQuery,
    decision: str,
    reason: str,
    reviewer: User,
) -> int:
    """One decision for the newest MAX_BULK entries matching the filter; how many changed."""
    ids = matching_ids(session, commune, query, MAX_BULK)
    return review_entries(session, ids, decision, reason, reviewer, commune.code)


def commune_volunteers(session: Session, commune: Unit) -> list[tuple[int, str, str]]:
    """(id, name, village code) of every volunteer of the commune's villages."""
    rows = session.execute(
        select(User.id, User.name, Team.village_code)
        .join(Team, Team.id == User.team_id)
        .join(Unit, Unit.code == Team.village_code)
        .where(Unit.commune_code == commune.code, User.role == "volunteer")
        .order_by(User.name, User.id)
    )
    return [(int(uid), str(name), str(village)) for uid, name, village in rows]


def reviews_of(session: Session, entry_id: str) -> list[tuple[Review, str]]:
    """An entry's past decisions, newest first, with the reviewer's name."""
    rows = session.execute(
        select(Review, User.name)
        .outerjoin(User, User.id == Review.reviewer_id)
        .where(Review.entry_id == entry_id)
        .order_by(Review.at.desc(), Review.id.desc())
    )
    return [(review, name or "") for review, name in rows]
