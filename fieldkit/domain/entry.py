"""The entry: one service for one citizen at one moment, as the device makes it."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fieldkit.domain.catalogue import Outcome, Reason
from fieldkit.domain.identity import Sex, id_number_warnings, is_masked, normalise_id_number
from fieldkit.domain.notes import check_note
from fieldkit.domain.people import MIN_BIRTH_YEAR, DeviceOwner, normalise_name
from fieldkit.domain.phone import normalise_phone
from fieldkit.domain.problems import DomainError, Problem, error, warning

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Device clocks drift; an entry up to this far in the future is still accepted.
CLOCK_SKEW = timedelta(minutes=10)
VILLAGE_CODE_PATTERN = r"^[0-9]{2,5}-[0-9]{1,4}$"
KEPT_NUMBER = "kept_number"
"""Validation context flag: this entry edits a stored one and may carry its masked number.

Once the server acknowledged an entry, the laptop masks its identity number; an edit then
sends the masked form and the server keeps the number it already has (its citizen key).
"""
ServiceCode = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]


class ConsentMethod(StrEnum):
    """How the citizen said yes (silence is not consent)."""

    VERBAL = "verbal"
    WRITTEN = "written"


def new_entry_id() -> uuid.UUID:
    """A time-ordered UUID (version 7), so inserts land at the end of the primary-key index."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def period_of(moment: datetime) -> str:
    """The quota period (a calendar year in Vietnam's time zone) a moment falls in."""
    return str(moment.astimezone(VIETNAM_TZ).year)


class Entry(BaseModel):
    """One service for one citizen; the device's write model (unknown fields are refused)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: uuid.UUID
    visit_id: uuid.UUID | None = None
    village: str = Field(pattern=VILLAGE_CODE_PATTERN, max_length=12)
    service: ServiceCode
    outcome: Outcome
    reasons: list[Reason] = Field(default_factory=list, max_length=17)
    assisted_at: AwareDatetime
    full_name: str = Field(max_length=200)
    id_number: str = Field(max_length=40)
    birth_year: int = Field(ge=MIN_BIRTH_YEAR, le=2100)
    sex: Sex
    phone: str | None = Field(default=None, max_length=30)
    consent: bool
    consent_method: ConsentMethod = ConsentMethod.VERBAL
    device_owner: DeviceOwner = DeviceOwner.CITIZEN
    note: str = Field(default="", max_length=2000)
    rev: int = Field(default=1, ge=1)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str, info: ValidationInfo) -> str:
        if is_masked(value) and isinstance(info.context, dict) and info.context.get(KEPT_NUMBER):
            if len(value) != 12:
                raise DomainError("id_number.length", "id_number", digits=str(len(value)))
            return value
        return normalise_id_number(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None

    @field_validator("full_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return normalise_name(value)

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        return check_note(value)

    @field_validator("reasons")
    @classmethod
    def _reasons_unique(cls, value: list[Reason]) -> list[Reason]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _rules(self) -> Entry:
        if not self.consent:
            raise DomainError("consent.required", "consent")
        if self.outcome is Outcome.SUCCESS and self.reasons:
            raise DomainError("reasons.not_allowed", "reasons")
        if self.outcome is not Outcome.SUCCESS and not self.reasons:
            raise DomainError("reasons.required", "reasons")
        now = datetime.now(UTC)
        if self.assisted_at > now + CLOCK_SKEW:
            raise DomainError("assisted_at.future", "assisted_at")
        problem = birth_year_problem(self.birth_year, self.assisted_at)
        if problem is not None:
            raise DomainError(problem.code, problem.field, **problem.params)
        return self

    @property
    def keeps_number(self) -> bool:
        """Whether this edit carries a masked number (the stored one stays, unchanged)."""
        return is_masked(self.id_number)

    @property
    def period(self) -> str:
        """The quota period this entry counts in."""
        return period_of(self.assisted_at)


def birth_year_problem(birth_year: int, assisted_at: datetime) -> Problem | None:
    """The error for a birth year before 1900 or after the year the citizen was helped."""
    # Any offset moves the year by at most one, so most entries skip the time-zone lookup.
    if MIN_BIRTH_YEAR <= birth_year < assisted_at.year - 1:
        return None
    last = assisted_at.astimezone(VIETNAM_TZ).year
    if MIN_BIRTH_YEAR <= birth_year <= last:
        return None
    return error("birth_year.range", "birth_year", min=str(MIN_BIRTH_YEAR), max=str(last))


def entry_warnings(entry: Entry) -> list[Problem]:
    """What the volunteer must confirm before saving (never blocks the server)."""
    problems = (
        []
        if entry.keeps_number
        else id_number_warnings(entry.id_number, entry.birth_year, entry.sex)
    )
    if entry.device_owner is DeviceOwner.VOLUNTEER:
        problems.append(warning("device_owner.volunteer", "device_owner"))
    age = entry.assisted_at.astimezone(VIETNAM_TZ).year - entry.birth_year
    if age < 14 and Reason.UNDER_14 not in entry.reasons:
        problems.append(warning("birth_year.under_14", "birth_year"))
    return problems


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into coded problems (DomainError codes kept, others generic)."""
    problems: list[Problem] = []
    for item in exc.errors():
        ctx: dict[str, Any] = item.get("ctx") or {}
        original = ctx.get("error")
        if isinstance(original, DomainError):
            problems.append(original.problem)
            continue
        loc = item.get("loc", ())
        field = str(loc[0]) if loc else "entry"
        problems.append(
            error("entry.invalid", field, detail=f"{field}: {item.get('msg', 'invalid')}")
        )
    return problems


def parse_entry(
    data: dict[str, Any], *, kept_number: bool = False
) -> tuple[Entry | None, list[Problem]]:
    """Validate raw data into an Entry, or return the blocking problems.

    `kept_number`: the data edits a stored entry and may carry its masked number (KEPT_NUMBER).
    """
    try:
        context = {KEPT_NUMBER: True} if kept_number else None
        return Entry.model_validate(data, context=context), []
    except ValidationError as exc:
        return None, problems_from_validation(exc)
