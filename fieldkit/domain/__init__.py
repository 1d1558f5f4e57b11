"""The shared contract: pydantic models, enums, validation and the wire protocol.

Imports only the standard library and pydantic, so the server, the laptop's store, the sync
client and the TUI can all depend on it.
"""

from fieldkit.domain.catalogue import (
    COUNTED_SERVICE_CODES,
    DEFAULT_SERVICES,
    SERVICE_CODES,
    Outcome,
    Reason,
    ServiceInfo,
    outcome_label,
    reason_label,
    service_by_code,
)
from fieldkit.domain.entry import (
    VIETNAM_TZ,
    ConsentMethod,
    Entry,
    entry_warnings,
    new_entry_id,
    parse_entry,
    period_of,
    problems_from_validation,
)
from fieldkit.domain.identity import (
    Sex,
    decode_id_number,
    id_number_warnings,
    is_masked,
    mask_id_number,
    normalise_id_number,
)
from fieldkit.domain.notes import check_note
from fieldkit.domain.people import AgeGroup, DeviceOwner, age_group, fold, normalise_name
from fieldkit.domain.phone import mask_phone, normalise_phone
from fieldkit.domain.problems import MESSAGES, DomainError, Problem, Severity

__all__ = [
    "COUNTED_SERVICE_CODES",
    "DEFAULT_SERVICES",
    "MESSAGES",
    "SERVICE_CODES",
    "VIETNAM_TZ",
    "AgeGroup",
    "ConsentMethod",
    "DeviceOwner",
    "DomainError",
    "Entry",
    "Outcome",
    "Problem",
    "Reason",
    "ServiceInfo",
    "Severity",
    "Sex",
    "age_group",
    "check_note",
    "decode_id_number",
    "entry_warnings",
    "fold",
    "id_number_warnings",
    "is_masked",
    "mask_id_number",
    "mask_phone",
    "new_entry_id",
    "normalise_id_number",
    "normalise_name",
    "normalise_phone",
    "outcome_label",
    "parse_entry",
    "period_of",
    "problems_from_validation",
    "reason_label",
    "service_by_code",
]
