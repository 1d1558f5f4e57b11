"""The laptop's tables: profile, entries, outbox, rejected, conflicts, pulled state, sync state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as naive UTC (so they sort and compare as text in SQLite)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to naive UTC on the way in."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC on the way out."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention for constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProfileRow(Base):
    """The one enrolled volunteer (device) this database belongs to (always id 1)."""

    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(200))
    server_url: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int] = mapped_column(Integer)
    villages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    default_village: Mapped[str | None] = mapped_column(String(12))
    lang: Mapped[str] = mapped_column(String(2), default="vi")
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    local_hash_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SigningKeyRow(Base):
    """The laptop's bundle-signing key pair (always id 1); its own table, so profiles made
    before it existed gain it without a schema change."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether the server has stored the public half (at enrollment or on a later sync)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EntryRecord(Base):
    """One entry as the laptop keeps it, with its sync status."""

    __tablename__ = "entries"
    __table_args__ = (
        # The search column rides in the list index: a search walks it newest first and reads
        # a row only when its folded name matches (one b-tree less to update on every save).
        Index("ix_entries_assisted", "assisted_at", "id", "search"),
        Index("ix_entries_status_assisted", "status", "assisted_at", "id"),
        Index("ix_entries_id_key_service", "id_key", "service"),
        Index("ix_entries_phone", "phone", "id_key"),
        # Home and `fieldkit status` count entries returned to fix and still-pending outcomes
        # on every refresh: without these, each count scans every entry.
        Index("ix_entries_review", "review_decision"),
        Index("ix_entries_outcome", "outcome", "erased"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[str | None] = mapped_column(String(36))
    village: Mapped[str] = mapped_column(String(12))
    service: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    assisted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    full_name: Mapped[str] = mapped_column(String(200))
    search: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str] = mapped_column(String(40))
    id_key: Mapped[str | None] = mapped_column(String(64))
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(30))
    consent: Mapped[bool] = mapped_column(Boolean)
    consent_method: Mapped[str] = mapped_column(String(20))
    device_owner: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    rev: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    server_rev: Mapped[int | None] = mapped_column(Integer)
    erased: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_village: Mapped[str | None] = mapped_column(String(12))
    duplicate_village_name: Mapped[str | None] = mapped_column(String(200))
    duplicate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_decision: Mapped[str | None] = mapped_column(String(20))
    review_reason: Mapped[str | None] = mapped_column(String(500))
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_code: Mapped[str | None] = mapped_column(String(60))
    reject_message: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


CITIZEN = func.coalesce(EntryRecord.id_key, EntryRecord.visit_id, EntryRecord.id)
"""Who an entry helped: their device-local key; once personal data is erased that key is
gone, and the entry's visit (or the entry itself) stands for the citizen."""
# Home counts distinct citizens on every refresh: read off this index, 100,000 entries take
# milliseconds; without it SQLite sorts every entry's key in a temporary b-tree.
Index("ix_entries_citizen", CITIZEN)


class OutboxRow(Base):
    """One mutation waiting for the server's acknowledgement."""

    __tablename__ = "outbox"

    mutation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_rev: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RejectedRow(Base):
    """A mutation the server refused; kept for ever so the volunteer can see and fix it."""

    __tablename__ = "rejected"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    mutation_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConflictRow(Base):
    """A pulled change that lost to a local pending edit (both versions are kept)."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PulledRow(Base):
    """The latest pulled value of one thing (review, quota, tally, service, village)."""

    __tablename__ = "pulled"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class SyncStateRow(Base):
    """The one row of sync bookkeeping (always id 1)."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    server_epoch: Mapped[str | None] = mapped_column(String(100))
    next_mutation_id: Mapped[int] = mapped_column(Integer, default=1)
    last_mutation_id: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
