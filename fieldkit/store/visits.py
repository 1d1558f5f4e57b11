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
    from fieldkit.store.store import Store

# A phone already recorded for this many other citizens earns a warning.
SHARED_PHONE_THRESHOLD = 2
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
        when = history.already_helped(entry.id_number, entry.service)
        if when is not None and entry.outcome.value == "success":
            warnings.append(
                warning("id_number.already_helped", "id_number", when=format_date(when))
            )
    first = entries[0]
    if first.phone:
        others = history.phone_use_count(first.phone, exclude_id_number=first.id_number)
        if others >= SHARED_PHONE_THRESHOLD:
            warnings.append(warning("phone.shared", "phone", count=str(others)))
    return VisitCheck(entries=entries, errors=[], warnings=_unique(warnings))
