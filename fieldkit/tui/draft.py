"""The entry form's state as plain data, and its validation through fieldkit.domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fieldkit.domain import (
    DeviceOwner,
    Entry,
    Outcome,
    Problem,
    Reason,
    Severity,
    Sex,
    entry_warnings,
    new_entry_id,
    parse_entry,
)
from fieldkit.domain.digits import ascii_int
from fieldkit.domain.entry import birth_year_problem
from fieldkit.domain.problems import error

# Fields the form shows; problems about other fields are shown as general ones.
FORM_FIELDS = (
    "full_name",
    "id_number",
    "birth_year",
    "sex",
    "phone",
    "village",
    "services",
    "reasons",
    "consent",
    "device_owner",
    "note",
)


@dataclass
class ServiceChoice:
    """One ticked service with its outcome and (for anything but success) reasons."""

    code: str
    outcome: Outcome = Outcome.SUCCESS
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class EntryDraft:
    """What the volunteer has typed so far; converts to one Entry per ticked service."""

    full_name: str = ""
    id_number: str = ""
    birth_year: str = ""
    sex: Sex | None = None
    phone: str = ""
    village: str = ""
    services: list[ServiceChoice] = field(default_factory=list)
    consent: bool = False
    device_owner: DeviceOwner = DeviceOwner.CITIZEN
    note: str = ""

    def household(self) -> EntryDraft:
        """A fresh draft for the next citizen of the same household: village and phone.

        Household members often share one phone; everything about the person starts empty.
        """
        return EntryDraft(village=self.village, phone=self.phone)

    @classmethod
    def from_entry(cls, entry: Entry) -> EntryDraft:
        """A draft holding one stored entry, for editing."""
        return cls(
            full_name=entry.full_name,
            id_number=entry.id_number,
            birth_year=str(entry.birth_year),
            sex=entry.sex,
            phone=entry.phone or "",
            village=entry.village,
            services=[ServiceChoice(entry.service, entry.outcome, list(entry.reasons))],
            consent=entry.consent,
            device_owner=entry.device_owner,
            note=entry.note,
        )


@dataclass
class DraftCheck:
    """The result of checking a draft: entries when valid, else errors; warnings either way."""

    entries: list[Entry]
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def ok(self) -> bool:
        """Whether the draft can be saved (after confirming warnings)."""
        return not self.errors and bool(self.entries)


def _birth_year(raw: str, assisted_at: datetime) -> int | Problem:
    """The year, or its error: checked here so it shows with every other error at once."""
    text = raw.strip()
    if not text:
        return error("birth_year.empty", "birth_year")  # missing, not out of range
    year = (ascii_int(text) if len(text) == 4 else None) or 0
    return birth_year_problem(year, assisted_at) or year


def _base_data(draft: EntryDraft, assisted_at: datetime) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    year = _birth_year(draft.birth_year, assisted_at)
    if isinstance(year, Problem):
        problems.append(year)
        year = 1990  # a placeholder so other fields still get checked
    data: dict[str, Any] = {
        "village": draft.village,
        "assisted_at": assisted_at,
        "full_name": draft.full_name,
        "id_number": draft.id_number,
        "birth_year": year,
        "sex": draft.sex.value if draft.sex is not None else "",
        "phone": draft.phone.strip() or None,
        "consent": draft.consent,
        "device_owner": draft.device_owner.value,
        "note": draft.note,
    }
    return data, problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.code, problem.field), problem)
    return list(seen.values())


def _plain(problem: Problem) -> Problem:
    """Replace pydantic's generic English detail by a form-specific, translatable code."""
    if problem.code != "entry.invalid":
        return problem
    field_name = problem.field if problem.field in FORM_FIELDS else "entry"
    return error(f"form.invalid.{field_name}", field_name)


def check_draft(
    draft: EntryDraft,
    assisted_at: datetime,
    *,
    entry_id: uuid.UUID | None = None,
    rev: int = 1,
    kept_number: bool = False,
) -> DraftCheck:
    """Validate a draft with the domain rules: one Entry per service, errors and warnings.

    `kept_number`: the draft edits a stored entry whose masked number stays as it is.
    """
    data, problems = _base_data(draft, assisted_at)
    if not draft.services:
        problems.append(error("service.required", "services"))
    if not draft.consent:
        problems.append(error("consent.required", "consent"))
    for choice in draft.services:
        if choice.outcome is not Outcome.SUCCESS and not choice.reasons:
            problems.append(error("reasons.required", f"reasons:{choice.code}"))
    visit_id = new_entry_id() if len(draft.services) > 1 else None
    entries: list[Entry] = []
    choices = draft.services or [ServiceChoice("other")]
    for index, choice in enumerate(choices):
        item = dict(data)
        item.update(
            id=entry_id if entry_id is not None and index == 0 else new_entry_id(),
            visit_id=visit_id,
            service=choice.code,
            outcome=choice.outcome.value,
            reasons=[r.value for r in choice.reasons],
            rev=rev,
        )
        entry, found = parse_entry(item, kept_number=kept_number)
        problems.extend(_plain(p) for p in found if p.code != "reasons.required")
        if entry is not None:
            entries.append(entry)
    errors = _unique([p for p in problems if p.severity is Severity.ERROR])
    if not errors and len(entries) != len(choices):
        errors.append(error("form.invalid.entry", "entry"))
    warnings = _unique(entry_warnings(entries[0])) if entries else []
    if errors or not draft.services:
        return DraftCheck(entries=[], errors=errors, warnings=warnings)
    return DraftCheck(entries=entries, errors=[], warnings=warnings)
