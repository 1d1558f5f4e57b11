"""What the store hands out: plain read models, never ORM rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fieldkit.domain import ConsentMethod, DeviceOwner, Entry, Outcome, Reason, Sex, is_masked
from fieldkit.domain.entry import KEPT_NUMBER
from fieldkit.domain.formatting import quota_percent
from fieldkit.domain.wire import VillageInfo
from fieldkit.store.errors import StoreError


class EntryStatus(StrEnum):
    """Where an entry stands with the server."""

    PENDING = "pending"
    ACKED = "acked"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


RETURNED_DECISIONS = ("rejected", "has_issues")
"""Review decisions that send an entry back to its volunteer to fix."""


class EntryFilter(StrEnum):
    """The list filters of the TUI and `fieldkit list`."""

    ALL = "all"
    TODAY = "today"
    PENDING = "pending"
    REJECTED = "rejected"
    """Returned to fix: refused by the server's checks, or rejected / has issues in review."""
    DUPLICATE = "duplicate"
    FOLLOW_UP = "follow_up"
    """Outcome "pending": the citizen comes back later and the entry is updated then."""


@dataclass(frozen=True)
class EntryQuery:
    """A page of entries: diacritic-insensitive search, one filter, offset/limit paging."""

    search: str = ""
    filter: EntryFilter = EntryFilter.ALL
    offset: int = 0
    limit: int = 50
    village: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class EntryRow:
    """One entry as lists show it (id number masked once the server acknowledged it).

    The laptop may still hold the full number for a while after the acknowledgement (so a
    restored server can be sent the entry again, see fieldkit.store.privacy); this read model
    never carries it.
    """

    id: uuid.UUID
    visit_id: uuid.UUID | None
    village: str
    service: str
    outcome: Outcome
    reasons: list[Reason]
    assisted_at: datetime
    full_name: str
    id_number: str
    birth_year: int
    sex: Sex
    phone: str | None
    consent: bool
    consent_method: ConsentMethod
    device_owner: DeviceOwner
    note: str
    rev: int
    status: EntryStatus
    server_rev: int | None
    erased: bool
    created_at: datetime
    duplicate_village: str | None = None
    duplicate_village_name: str | None = None
    duplicate_at: datetime | None = None
    review_decision: str | None = None
    review_reason: str | None = None
    reject_code: str | None = None
    reject_message: str | None = None

    @property
    def returned(self) -> bool:
        """Sent back to fix: refused by the server's checks or by a reviewer."""
        return self.status is EntryStatus.REJECTED or self.review_decision in RETURNED_DECISIONS

    @property
    def follow_up(self) -> bool:
        """An outcome still open ("pending"): updated when the citizen comes back."""
        return self.outcome is Outcome.PENDING

    @property
    def editable(self) -> bool:
        """Whether the volunteer can edit it.

        Not once its personal data is erased. Before the server acknowledged it, always;
        afterwards (its number shown masked) only when it was returned to fix or its outcome
        is still pending, and then everything but the identity number (number_editable).
        """
        if self.erased:
            return False
        return self.number_editable or self.returned or self.follow_up

    @property
    def number_editable(self) -> bool:
        """Whether an edit may change the identity number: only while it is shown in full."""
        return not self.erased and not is_masked(self.id_number)

    def to_entry(self) -> Entry:
        """The write model, for editing; raises StoreError when it cannot be edited.

        A masked number stays masked: the edit keeps it and the server keeps its own
        (fieldkit.domain.entry.KEPT_NUMBER).
        """
        if not self.editable:
            code = "entry.erased" if self.erased else "entry.not_editable"
            raise StoreError(code, entry_id=str(self.id))
        data = {
            "id": self.id,
            "visit_id": self.visit_id,
            "village": self.village,
            "service": self.service,
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "assisted_at": self.assisted_at,
            "full_name": self.full_name,
            "id_number": self.id_number,
            "birth_year": self.birth_year,
            "sex": self.sex,
            "phone": self.phone,
            "consent": self.consent,
            "consent_method": self.consent_method,
            "device_owner": self.device_owner,
            "note": self.note,
            "rev": self.rev,
        }
        return Entry.model_validate(data, context={KEPT_NUMBER: True})


@dataclass(frozen=True)
class SavedEntry:
    """What a save returns once the transaction is committed."""

    entry_id: uuid.UUID
    mutation_id: int
    rev: int


@dataclass(frozen=True)
class RejectedItem:
    """One refusal by the server (the list is never deleted)."""

    entry_id: uuid.UUID
    mutation_id: int
    code: str
    message: str
    at: datetime


@dataclass(frozen=True)
class VillageProgress:
    """Quota progress of one village and service: last synced tally plus local successes."""

    village: str
    village_name: str
    service: str
    period: str
    quota: int | None
    achieved_synced: int
    local_unsynced: int

    @property
    def achieved(self) -> int:
        """Synced achievements plus successes recorded here but not yet counted."""
        return self.achieved_synced + self.local_unsynced

    @property
    def percentage(self) -> float | None:
        """Achieved over quota in percent (can exceed 100); None without a quota."""
        return quota_percent(self.achieved, self.quota)


@dataclass(frozen=True)
class UnsentCounts:
    """What still waits for the server, in people: distinct citizens and their entries."""

    citizens: int
    services: int


@dataclass(frozen=True)
class HelpedCounts:
    """People, not records: distinct citizens helped and services given (one per entry)."""

    citizens_today: int = 0
    services_today: int = 0
    citizens_total: int = 0
    services_total: int = 0


@dataclass(frozen=True)
class StoreStatus:
    """What `fieldkit status` and the TUI's status bar show."""

    pending: int
    rejected: int
    """Entries returned to fix (EntryFilter.REJECTED)."""
    duplicates: int
    total: int
    last_sync_at: datetime | None
    last_error: str | None
    cursor: int
    server_epoch: str | None
    villages: list[VillageProgress] = field(default_factory=list)
    follow_up: int = 0
    """Entries whose outcome is still pending (EntryFilter.FOLLOW_UP)."""
    helped: HelpedCounts = field(default_factory=HelpedCounts)
    """Citizens helped and services given, today and in all."""


@dataclass(frozen=True)
class Profile:
    """The enrolled volunteer and device this store belongs to."""

    name: str
    device_id: str
    token: str
    server_url: str
    user_id: int
    user_name: str
    team_id: int
    villages: list[VillageInfo]
    default_village: str | None
    lang: str
    pin_hash: str | None
