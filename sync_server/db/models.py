"""The server's tables as typed SQLAlchemy 2 ORM classes (one migration creates them all)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CHANGE_SEQ = "change_seq"
"""The Counter row whose value is the last allocated change sequence number."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC (naive UTC on SQLite, timestamptz on PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite gets it without tzinfo so strings sort chronologically."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Always hand back an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Unit(Base):
    """A province, commune or village; villages are `<commune code>-<n>`."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    province_code: Mapped[str | None] = mapped_column(String(20), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(20), index=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    replaced_by: Mapped[str | None] = mapped_column(String(20))


class Team(Base):
    """A community digital-technology team, one per village by default."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A volunteer, coordinator, province officer or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    login: Mapped[str | None] = mapped_column(String(60))
    """The name staff sign in with (ASCII, lower case); derived from the name when added."""
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    """Set when the password is a one-time one: the next sign-in must choose a new one."""
    phone: Mapped[str | None] = mapped_column(String(20))
    youth_union: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    deactivated_at: Mapped[datetime | None]
    """When an administrator deactivated the user: no sign-in, no enrollment, no live token."""

    __table_args__ = (Index("ux_users_login", "login", unique=True),)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")


class EnrollmentCode(Base):
    """A one-time code a volunteer types to enroll a laptop (stored hashed)."""

    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """After this moment the code no longer enrolls (None: never set, treated as expired)."""
    revoked_at: Mapped[datetime | None]


class SignInAttempts(Base):
    """Failed password or enrollment-code attempts of one account or one client address.

    `key` is `account:<user id>`, `account:?<hash of the login typed>` (logins that match no
    user lock the same way, so a lockout says nothing about who exists) or `address:<ip>`.
    """

    __tablename__ = "sign_in_attempts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class Device(Base):
    """One enrolled install of fieldkit, bound to one volunteer."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    last_sync_at: Mapped[datetime | None]
    public_key: Mapped[str | None] = mapped_column(String(64))
    """The laptop's Ed25519 bundle-signing public key (hex); its private half never leaves it."""


class Service(Base):
    """One service of the catalogue (synced to devices)."""

    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_vi: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    counts_toward_quota: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Entry(Base):
    """One service for one citizen at one moment; never holds a full identity number."""

    __tablename__ = "entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(Integer)
    village_code: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(Text, default="")
    assisted_at: Mapped[datetime]
    period: Mapped[str] = mapped_column(String(10))
    citizen_key: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    consent: Mapped[bool] = mapped_column(Boolean)
    consent_method: Mapped[str] = mapped_column(String(20))
    device_owner: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    visit_id: Mapped[str | None] = mapped_column(String(36))
    rev: Mapped[int] = mapped_column(Integer, default=1)
    mutation_id: Mapped[int | None] = mapped_column(BigInteger)
    """The device's mutation that last wrote this row: a resent mutation id must match it."""
    age_group: Mapped[str] = mapped_column(String(10))
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    review_status: Mapped[str] = mapped_column(String(12), default="pending")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # A commune's review queue: waiting entries, newest first, without a scan.
        Index("ix_entries_commune_review", "commune_code", "review_status", "assisted_at"),
        # The dedupe rule, kept by the database: at most one counting success per citizen,
        # service and period (NULLs never collide, so any number may not count; only
        # successes are ever counted). The same index finds a group's successes when dedupe
        # hands a count over, and, by its citizen_key prefix, all of a citizen's entries
        # whatever their outcome, which the kept people counts (services/citizens.py) re-read
        # for the citizens a write touches: one random-key B-tree per entry, not two.
        Index(
            "ux_entries_counting",
            "citizen_key",
            "service",
            "period",
            text("(CASE WHEN counted THEN 1 END)"),
            unique=True,
        ),
    )


class Review(Base):
    """A coordinator's decision about one entry."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    decision: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Quota(Base):
    """A target number of citizens for one unit, service, period and target group.

    The group is `all` (every citizen), `youth` (16–30) or `non_youth` (outside youth age):
    the latter two are measured against the tally's youth / non_youth counts.
    """

    __tablename__ = "quotas"

    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), primary_key=True)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_group: Mapped[str] = mapped_column(
        String(10), primary_key=True, default="all", server_default="all"
    )
    target: Mapped[int] = mapped_column(Integer)


class TransactionTarget(Base):
    """The target share (in %) of portal accounts that go on to a real transaction.

    Set per unit and period; a unit without its own takes its province's, else the default.
    """

    __tablename__ = "transaction_targets"

    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    percent: Mapped[float] = mapped_column(Float)


class OfficialCount(Base):
    """A figure the official systems give for a unit and period (e.g. the portal's accounts)."""

    __tablename__ = "official_counts"

    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Tally(Base):
    """Incrementally kept counts for one unit × service × period (recount must agree)."""

    __tablename__ = "tallies"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    achieved: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    youth: Mapped[int] = mapped_column(Integer, default=0)
    non_youth: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class CitizenTally(Base):
    """Incrementally kept counts of people for one unit × period (recount must agree).

    `helped`: distinct citizens with an entry there that is not rejected; `transacting`:
    counted portal accounts there whose citizen has a counted real transaction in the period
    (services/citizens.py holds both rules).
    """

    __tablename__ = "citizen_tallies"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    helped: Mapped[int] = mapped_column(Integer, default=0)
    transacting: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class WeekTally(Base):
    """Counted entries of one unit × service × period in one week (Monday, Vietnam's time).

    Kept with the tallies in the same transaction (recount must agree), so a chart of entries
    per week reads a year's weeks instead of counting a province's entries.
    """

    __tablename__ = "week_tallies"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    week: Mapped[str] = mapped_column(String(10), primary_key=True)
    """The week's Monday as YYYY-MM-DD."""
    achieved: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class Conflict(Base):
    """The losing version of an edit made against a stale revision (kept, never dropped)."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(36), index=True)
    device_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[int] = mapped_column(BigInteger)
    base_rev: Mapped[int] = mapped_column(Integer)
    stored_rev: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeLog(Base):
    """One change devices pull, in change-sequence order, visible to one scope."""

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_change_log_scope_seq", "scope", "seq"),)


class Counter(Base):
    """A named sequence; the change_seq row doubles as the writers' lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ServerMeta(Base):
    """Server-wide values: the epoch (never the key: see sync_server.services.server_key)."""

    __tablename__ = "server_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditLog(Base):
    """Who read or changed personal data, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    entry_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str] = mapped_column(Text, default="")
    unit_code: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (Index("ix_audit_log_unit_at", "unit_code", "at"),)
