"""The sync protocol's wire models (docs/architecture.md): enroll, push, pull, errors.

Write models forbid unknown fields; read models ignore them, so an old client survives a
newer server.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.domain.digits import ascii_int

PROTOCOL_VERSION = "1.0"
PROTOCOL_HEADER = "X-Fieldkit-Protocol"
API_PREFIX = "/api/v1"
MAX_PUSH_BATCH = 1000
MAX_REV = 2**31 - 1
"""The highest entry revision: the server stores revisions as 32-bit integers."""
MAX_MUTATION_ID = 2**63 - 1
"""The highest mutation id: the server stores them as 64-bit integers."""
PUBLIC_KEY_PATTERN = r"^[0-9a-f]{64}$"
"""A laptop's Ed25519 public key: its 32 raw bytes as lowercase hex."""


def protocol_major(version: str) -> int | None:
    """The major number of a protocol version string, or None if it is not one."""
    head = version.strip().split(".", 1)[0]
    return ascii_int(head, max_digits=6)  # few enough digits to be a version at all


class WriteModel(BaseModel):
    """Requests: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    """Responses: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class ErrorDetail(ReadModel):
    code: str
    message: str


class ErrorBody(ReadModel):
    """Every 4xx body: {"error": {"code", "message"}}."""

    error: ErrorDetail


class EnrollRequest(WriteModel):
    code: str = Field(min_length=4, max_length=64)
    device_name: str = Field(default="", max_length=100)
    public_key: str | None = Field(default=None, pattern=PUBLIC_KEY_PATTERN)
    """The public half of the key pair the laptop signs its bundles with."""


class VillageInfo(ReadModel):
    code: str
    name: str
    commune_code: str
    commune_name: str = ""


class EnrollResponse(ReadModel):
    device_id: str
    token: str
    user_id: int
    user_name: str
    team_id: int
    villages: list[VillageInfo]
    server_epoch: str
    public_key: str | None = None
    """The bundle-signing key the server stored for this device (None: none was sent)."""


class DeviceKeyRequest(WriteModel):
    """An enrolled laptop registers the public half of its bundle-signing key (once)."""

    public_key: str = Field(pattern=PUBLIC_KEY_PATTERN)


class DeviceKeyResponse(ReadModel):
    device_id: str
    public_key: str


class Mutation(WriteModel):
    """One outbox row: strictly increasing per device."""

    mutation_id: int = Field(ge=1, le=MAX_MUTATION_ID)
    entry: dict[str, Any]
    base_rev: int | None = Field(default=None, ge=0, le=MAX_REV)


class PushRequest(WriteModel):
    mutations: list[Mutation] = Field(max_length=MAX_PUSH_BATCH)


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class DuplicateOf(ReadModel):
    """Which entry already counts this citizen for this service."""

    entry_id: uuid.UUID | None = None
    village: str
    village_name: str = ""
    assisted_at: datetime


class PushItemResult(ReadModel):
    mutation_id: int
    entry_id: str | None = None
    status: ItemStatus
    code: str | None = None
    message: str | None = None
    duplicate_of: DuplicateOf | None = None
    rev: int | None = None


class PushResponse(ReadModel):
    last_mutation_id: int
    results: list[PushItemResult]
    server_epoch: str


class ChangeKind(StrEnum):
    REVIEW = "review"
    ENTRY_STATUS = "entry_status"
    QUOTA = "quota"
    TALLY = "tally"
    SERVICE = "service"
    VILLAGE = "village"


class Change(ReadModel):
    seq: int
    kind: ChangeKind | str
    key: str
    data: dict[str, Any]


class PullResponse(ReadModel):
    changes: list[Change]
    next_cursor: int
    has_more: bool
    server_epoch: str
    last_mutation_id: int


class UnitLevel(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"
    VILLAGE = "village"


class UnitRead(ReadModel):
    code: str
    name: str
    level: UnitLevel
    parent_code: str | None = None
    retired: bool = False


class TallyRow(ReadModel):
    """Achieved distinct citizens against the quota for one unit × service × period."""

    unit_code: str
    unit_name: str = ""
    level: UnitLevel | None = None
    service: str
    period: str
    quota: int | None = None
    achieved: int = 0
    percentage: float | None = None
    pending: int = 0
    approved: int = 0
    rejected: int = 0
    youth: int = 0
    non_youth: int = 0
    youth_quota: int | None = None
    """The quota for youth (16–30), measured against `youth`."""
    non_youth_quota: int | None = None
    """The quota for citizens outside youth age, measured against `non_youth`."""


class QuotaGroup(StrEnum):
    """Whom a quota counts: every citizen, youth (16–30) or citizens outside youth age."""

    ALL = "all"
    YOUTH = "youth"
    NON_YOUTH = "non_youth"


class QuotaRead(ReadModel):
    unit_code: str
    service: str
    period: str
    target: int
    group: QuotaGroup = QuotaGroup.ALL


class QuotaWrite(WriteModel):
    unit_code: str = Field(min_length=1, max_length=20)
    service: str = Field(min_length=1, max_length=40)
    period: str = Field(pattern=r"^[0-9]{4}$")
    target: int = Field(ge=0, le=100_000_000)
    group: QuotaGroup = QuotaGroup.ALL


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    HAS_ISSUES = "has_issues"


class ReviewWrite(WriteModel):
    decision: ReviewDecision
    reason: str = Field(default="", max_length=500)


class ReviewRead(ReadModel):
    entry_id: str
    decision: ReviewDecision
    reason: str = ""
    reviewer: str = ""
    at: datetime
