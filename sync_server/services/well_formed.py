"""Entries rows straight from well-formed wire entries, without building an Entry model.

Almost every entry a laptop pushes is exactly what fieldkit's own store wrote: canonical
UUIDs, ISO timestamps, known enum values, no stray whitespace. For those, `row_values` checks
every rule of `fieldkit.domain.Entry` with plain Python and returns the server's row values
directly; it is several times cheaper than validating an Entry and then copying it into a row.
Anything it does not recognise at a glance (other spellings pydantic would coerce, or any
problem at all) returns None, and the caller takes the full `parse_entry` path, which is the
one that accepts lax input and words the rejection. tests/sync_server/services/
test_well_formed.py checks that both paths agree on valid, coercible and hostile entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from fieldkit.domain import Outcome, Reason, Sex, mask_id_number
from fieldkit.domain.entry import CLOCK_SKEW, ConsentMethod
from fieldkit.domain.identity import normalise_id_number
from fieldkit.domain.notes import check_note
from fieldkit.domain.people import (
    MIN_BIRTH_YEAR,
    YOUTH_MAX_AGE,
    YOUTH_MIN_AGE,
    AgeGroup,
    DeviceOwner,
    normalise_name,
)
from fieldkit.domain.phone import normalise_phone
from fieldkit.domain.wire import MAX_REV

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VILLAGE = re.compile(r"[0-9]{2,5}-[0-9]{1,4}")
_SERVICE = re.compile(r"[a-z0-9_]{1,40}")
# What both pydantic and datetime.fromisoformat read the same way (and nothing else).
_STAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_OUTCOMES = frozenset(o.value for o in Outcome)
_REASONS = frozenset(r.value for r in Reason)
_SEXES = frozenset(s.value for s in Sex)
_CONSENT_METHODS = frozenset(c.value for c in ConsentMethod)
_OWNERS = frozenset(o.value for o in DeviceOwner)
_FIELD_NAMES = (
    "id", "visit_id", "village", "service", "outcome", "reasons", "assisted_at", "full_name",
    "id_number", "birth_year", "sex", "phone", "consent", "consent_method", "device_owner",
    "note", "rev",
)  # fmt: skip
_KEYS = frozenset(_FIELD_NAMES)
_FIELDS = itemgetter(*_FIELD_NAMES)
_MISSING = object()
"""Stands for a required field the entry lacks: it fails every check."""
_DEFAULTS: dict[str, Any] = dict.fromkeys(_FIELD_NAMES, _MISSING) | {
    "visit_id": None, "reasons": [], "phone": None, "consent_method": "verbal",
    "device_owner": "citizen", "note": "", "rev": 1,
}  # fmt: skip
"""What an entry that leaves out a field holds (Entry's defaults; `_MISSING` if required)."""
_SUCCESS = Outcome.SUCCESS.value
_YOUTH = AgeGroup.YOUTH.value
_OTHERS = AgeGroup.NON_YOUTH.value
# Vietnam keeps UTC+7 all year since 1975; the fast path only takes moments after 2000.
_VIETNAM_OFFSET = timedelta(hours=7)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_MAX_REASONS = 17
_UTC_STAMP_LENGTH = len("2026-11-13T11:52:09.602559Z")


def _plain(value: Any, limit: int) -> str | None:
    """A str pydantic would keep unchanged (no edge whitespace) within `limit` characters."""
    if type(value) is not str or not value or len(value) > limit:
        return None
    if value[0].isspace() or value[-1].isspace():
        return None
    return value


def _stamp(value: Any) -> datetime | None:
    """An aware ISO timestamp in the one spelling both parsers agree on."""
    if type(value) is not str or not _STAMP.fullmatch(value):
        return None
    return datetime.fromisoformat(value)


class RowMaker:
    """Per-batch maker of entries-row values; remembers each citizen's key, mask and name."""

    def __init__(self, citizen_key: Callable[[str], str], now: datetime) -> None:
        self.citizen_key = citizen_key
        self.latest = now + CLOCK_SKEW
        self._ids: dict[str, tuple[str, str, str]] = {}
        self._names: dict[str, str] = {}
        self._phones: dict[str, str] = {}
        self._notes: dict[str, str] = {}
        # Codes already found well-formed in this batch: a batch names few villages and
        # services, so a set lookup replaces most of the pattern matches.
        self._villages: set[str] = set()
        self._services: set[str] = set()
        self.stamp_texts: dict[datetime, str] = {}
        """assisted_at values and their SQLite text (see sync_server.db.bulk.sqlite_params),
        cut from the wire's own UTC spelling, which is several times cheaper than formatting."""

    def values(self, data: Any) -> dict[str, Any] | None:
        """The row values the server stores for this entry, or None to take the full path.

        Keys: id, visit_id, service, outcome, reasons, assisted_at, period, citizen_key,
        id_masked, full_name, birth_year, sex, phone, consent_method, device_owner, note, rev,
        age_group, and village (the code the entry names, for the territory check).
        """
        try:
            return self._values(data)
        except Exception:  # any doubt at all: the full path decides and words the problem
            return None

    def _values(self, data: Any) -> dict[str, Any] | None:
        if type(data) is not dict or not _KEYS.issuperset(data):
            return None
        if len(data) != len(_KEYS):
            data = _DEFAULTS | data
        (
            entry_id, visit_id, village, service, outcome, reasons, stamp, full_name,
            id_number, birth_year, sex, phone, consent, consent_method, device_owner, note, rev,
        ) = _FIELDS(data)  # fmt: skip
        if type(entry_id) is not str or not _UUID.fullmatch(entry_id):
            return None
        if visit_id is not None and (type(visit_id) is not str or not _UUID.fullmatch(visit_id)):
            return None
        if type(village) is not str or not _known(self._villages, village, _VILLAGE):
            return None
        if type(service) is not str or not _known(self._services, service, _SERVICE):
            return None
        if type(outcome) is not str or outcome not in _OUTCOMES:
            return None
        if type(reasons) is not list or len(reasons) > _MAX_REASONS:
            return None
        for reason in reasons:
            if type(reason) is not str or reason not in _REASONS:
                return None
        if (outcome == _SUCCESS) == bool(reasons):
            return None  # reasons.not_allowed / reasons.required
        if consent is not True:
            return None
        if type(consent_method) is not str or consent_method not in _CONSENT_METHODS:
            return None
        if type(device_owner) is not str or device_owner not in _OWNERS:
            return None
        if type(sex) is not str or sex not in _SEXES:
            return None
        if type(birth_year) is not int or not MIN_BIRTH_YEAR <= birth_year <= 2100:
            return None
        if type(rev) is not int or not 1 <= rev <= MAX_REV:
            return None
        assisted_at = _stamp(stamp)
        if assisted_at is None or not _EARLIEST <= assisted_at <= self.latest:
            return None
        if len(stamp) == _UTC_STAMP_LENGTH and stamp[-1] == "Z":  # 2026-11-13T11:52:09.602559Z
            self.stamp_texts[assisted_at] = f"{stamp[:10]} {stamp[11:26]}"
        year = (assisted_at.astimezone(UTC) + _VIETNAM_OFFSET).year
        if birth_year > year:
            return None  # birth_year.range
        key, masked = self._citizen(id_number)
        if phone is not None:
            phone = self._phone(phone)
        if note != "":
            note = self._note(note)
        return {
            "id": entry_id,
            "visit_id": visit_id,
            "village": village,
            "service": service,
            "outcome": outcome,
            "reasons": ",".join(dict.fromkeys(reasons)),
            "assisted_at": assisted_at,
            "period": str(year),
            "citizen_key": key,
            "id_masked": masked,
            "full_name": self._name(full_name),
            "birth_year": birth_year,
            "sex": sex,
            "phone": phone,
            "consent_method": consent_method,
            "device_owner": device_owner,
            "note": note,
            "rev": rev,
            "age_group": _YOUTH if YOUTH_MIN_AGE <= year - birth_year <= YOUTH_MAX_AGE else _OTHERS,
        }

    def _citizen(self, raw: Any) -> tuple[str, str]:
        known = self._ids.get(raw) if type(raw) is str else None
        if known is None:
            text = _plain(raw, 40)
            if text is None:
                raise ValueError("id_number")
            number = normalise_id_number(text)
            known = self._ids[text] = (number, self.citizen_key(number), mask_id_number(number))
        return known[1], known[2]

    def _name(self, raw: Any) -> str:
        return _remembered(self._names, raw, 200, normalise_name)

    def _phone(self, raw: Any) -> str:
        return _remembered(self._phones, raw, 30, normalise_phone)

    def _note(self, raw: Any) -> str:
        return _remembered(self._notes, raw, 2000, check_note)


def _known(seen: set[str], value: str, pattern: re.Pattern[str]) -> bool:
    """Whether `value` matches `pattern` in full, remembering the values that did."""
    if value in seen:
        return True
    if pattern.fullmatch(value):
        seen.add(value)
        return True
    return False


def _remembered(seen: dict[str, str], raw: Any, limit: int, clean: Callable[[str], str]) -> str:
    """clean(raw) for a plain string, once per distinct value in the batch; ValueError if odd."""
    known = seen.get(raw) if type(raw) is str else None
    if known is None:
        text = _plain(raw, limit)
        if text is None:
            raise ValueError("not a plain string")
        known = seen[text] = clean(text)
    return known
