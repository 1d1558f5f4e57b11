"""One visit as typed (CLI options, a CSV row, a form): checked into entries, errors, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from fieldkit.domain import (
    Entry,
    Problem,
    entry_warnings,
    new_entry_id,
    parse_entry,
)
from fieldkit.domain.formatting import format_date
from fieldkit.domain.problems import error, warning

if TYPE_CHECKING:
    from fieldkit.store.records import EntryRow
    from fieldkit.store.store import Store

SHARED_PHONE_THRESHOLD = 3
"""A phone already recorded here for this many other citizens earns a warning.

Household members often share one phone, so a phone used by two others is no surprise; the
app and the CLI both ask this module, so the warning fires at the same count everywhere.
"""
_SEX_ALIASES = {"nam": "male", "m": "male", "nữ": "female", "nu": "female", "f": "female"}


class VisitLookups(Protocol):
    """This laptop's history a visit is checked against (a Store, or one read snapshot)."""

    def already_helped(self, id_number: str, service: str) -> datetime | None: ...

    def phone_use_count(self, phone: str, exclude_id_number: str | None = None) -> int: ...


@dataclass
class VisitForm:
    """The raw values of one visit: one citizen, one or more services, one outcome."""

    full_name: str
    id_number: str
    birth_year: int | str
    sex: str
    services: list[str]
    outcome: str
    reasons: list[str] = field(default_factory=list)
    consent: bool = False
    phone: str | None = None
    village: str | None = None
    note: str = ""
    device_owner: str | None = None
    consent_method: str | None = None
    assisted_at: datetime | None = None


@dataclass
class VisitCheck:
    """Entries ready to save (one per service), or the errors that block them, plus warnings."""

    entries: list[Entry]
    errors: list[Problem]
    warnings: list[Problem]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Problem] = {}
    for p in problems:
        seen.setdefault((p.code, p.field, tuple(sorted(p.params.items()))), p)
    return list(seen.values())


def _data(
    form: VisitForm, village: str, service: str, visit_id: Any, now: datetime
) -> dict[str, Any]:
    sex = form.sex.strip().lower()
    data: dict[str, Any] = {
        "id": new_entry_id(),
        "visit_id": visit_id,
        "village": village,
        "service": service.strip(),
        "outcome": form.outcome.strip().lower(),
        "reasons": [r.strip().lower() for r in form.reasons if r.strip()],
        "assisted_at": form.assisted_at or now,
        "full_name": form.full_name,
        "id_number": form.id_number,
        "birth_year": form.birth_year,
        "sex": _SEX_ALIASES.get(sex, sex),
        "phone": form.phone.strip() if form.phone and form.phone.strip() else None,
        "consent": form.consent,
        "note": form.note,
    }
    if form.device_owner:
        data["device_owner"] = form.device_owner.strip().lower()
    if form.consent_method:
        data["consent_method"] = form.consent_method.strip().lower()
    return data


def check_visit(
    store: Store,
    form: VisitForm,
    now: datetime | None = None,
    active_services: set[str] | None = None,
    lookups: VisitLookups | None = None,
) -> VisitCheck:
    """Validate a visit against the domain rules, the catalogue and this laptop's history."""
    now = now or datetime.now(UTC)
    errors: list[Problem] = []
    services = [s.strip() for s in form.services if s.strip()]
    if not services:
        errors.append(error("service.required", "service"))
    active = active_services
    if active is None:
        active = {s.code for s in store.services() if s.active}
    for code in services:
        if code not in active:
            errors.append(error("service.unknown", "service", service=code[:40]))
    villages = {v.code for v in store.profile.villages}
    village = (form.village or store.profile.default_village or "").strip()
    if village not in villages:
        errors.append(error("village.not_yours", "village", village=village[:20] or "—"))
    visit_id = new_entry_id() if len(services) > 1 else None
    entries: list[Entry] = []
    for code in services or ["other"]:
        entry, problems = parse_entry(_data(form, village, code, visit_id, now))
        errors.extend(problems)
        if entry is not None:
            entries.append(entry)
    errors = _unique(errors)
    if errors:
        return VisitCheck(entries=[], errors=errors, warnings=[])
    history: VisitLookups = lookups if lookups is not None else store
    warnings: list[Problem] = []
    for entry in entries:
        warnings.extend(entry_warnings(entry))
    warnings.extend(history_warnings(history, entries))
    return VisitCheck(entries=entries, errors=[], warnings=_unique(warnings))


def history_warnings(
    history: VisitLookups, entries: list[Entry], *, editing: bool = False
) -> list[Problem]:
    """What this laptop's history says about a visit: already helped here, a shared phone.

    An edit is never "already helped" (it is the entry that helped), and a kept (masked)
    number is not looked up.
    """
    warnings: list[Problem] = []
    if not editing:
        for entry in entries:
            when = history.already_helped(entry.id_number, entry.service)
            if when is not None and entry.outcome.value == "success":
                warnings.append(
                    warning("id_number.already_helped", "id_number", when=format_date(when))
                )
                break
    first = entries[0] if entries else None
    if first is not None and first.phone:
        own = None if first.keeps_number else first.id_number
        others = history.phone_use_count(first.phone, exclude_id_number=own)
        if others >= SHARED_PHONE_THRESHOLD:
            warnings.append(warning("phone.shared", "phone", count=str(others)))
    return warnings


@dataclass
class EntryChanges:
    """What an edit changes in one stored entry; None leaves a field as it is."""

    full_name: str | None = None
    id_number: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    service: str | None = None
    outcome: str | None = None
    reasons: list[str] | None = None
    phone: str | None = None
    village: str | None = None
    note: str | None = None
    device_owner: str | None = None
    consent_method: str | None = None
    assisted_at: datetime | None = None


def check_edit(store: Store, row: EntryRow, changes: EntryChanges) -> VisitCheck:
    """Apply changes to a stored entry and check the result like a new visit.

    The entry must be editable (EntryRow.editable); its identity number only while it is
    shown in full (EntryRow.number_editable). Success clears the reasons unless new ones are
    given.
    """
    entry = row.to_entry()
    data: dict[str, Any] = entry.model_dump()
    errors: list[Problem] = []
    given = {k: v for k, v in vars(changes).items() if v is not None}
    if "id_number" in given and not row.number_editable:
        errors.append(error("id_number.kept", "id_number"))
        given.pop("id_number")
    if "sex" in given:
        sex = str(given["sex"]).strip().lower()
        given["sex"] = _SEX_ALIASES.get(sex, sex)
    for name in ("outcome", "device_owner", "consent_method"):
        if name in given:
            given[name] = str(given[name]).strip().lower()
    if "reasons" in given:
        given["reasons"] = [r.strip().lower() for r in given["reasons"] if r.strip()]
    elif given.get("outcome") == "success":
        given["reasons"] = []
    if "phone" in given:
        given["phone"] = given["phone"].strip() or None
    data.update(given)
    if "service" in given:
        active = {s.code for s in store.services() if s.active}
        if data["service"] not in active:
            errors.append(error("service.unknown", "service", service=str(data["service"])[:40]))
    if "village" in given and data["village"] not in {v.code for v in store.profile.villages}:
        errors.append(error("village.not_yours", "village", village=str(data["village"])[:20]))
    edited, problems = parse_entry(data, kept_number=True)
    errors = _unique(errors + problems)
    if errors or edited is None:
        return VisitCheck(entries=[], errors=errors, warnings=[])
    warnings = entry_warnings(edited) + history_warnings(store, [edited], editing=True)
    return VisitCheck(entries=[edited], errors=[], warnings=_unique(warnings))
