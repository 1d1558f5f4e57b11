"""An audit record's detail in words: the filter entries were read with, the decision taken.

`entry.read` records keep the query they were read with as JSON (services.entries) and
`review` records the decision's code; the audit page shows "Review state: Waiting for
review" and "Rejected" rather than JSON and codes.
"""

from __future__ import annotations

import json

from fieldkit.domain import Outcome, outcome_label
from sync_server.web import i18n
from sync_server.web.words_commune import CODE_WORDS

_FILTERS = (
    ("village", "Village"),
    ("volunteer", "Volunteer"),
    ("service", "Service"),
    ("outcome", "Outcome"),
    ("review_status", "Review state"),
    ("period", "Period"),
)
"""Query fields a person chooses, in the order shown, with their (English) labels."""


def _value(key: str, value: object, lang: str) -> str:
    text = str(value)
    if key == "review_status":
        return i18n.translate(CODE_WORDS.get(f"review:{text}", text), lang)
    if key == "outcome" and text in {o.value for o in Outcome}:
        return outcome_label(Outcome(text), lang)
    return text


def audit_detail(action: str, detail: str, lang: str) -> str:
    """The detail of an audit record as the audit page shows it."""
    if action == "review":
        return i18n.translate(CODE_WORDS.get(f"review:{detail}", detail), lang)
    if action == "entry.read":
        return read_filter(detail, lang) or detail
    return detail


def read_filter(detail: str, lang: str) -> str | None:
    """The filter an entries read used ("Review state: Waiting for review; page 2"), or None
    when the detail is not such a query (other actions keep plain text)."""
    try:
        data = json.loads(detail)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    parts = [
        f"{i18n.translate(label, lang)}: {_value(key, data[key], lang)}"
        for key, label in _FILTERS
        if data.get(key) not in (None, "")
    ]
    if data.get("disputed") is True:
        parts.append(i18n.translate("disputed", lang))
    offset, limit = data.get("offset"), data.get("limit")
    if isinstance(offset, int) and isinstance(limit, int) and limit > 0 and offset > 0:
        parts.append(i18n.translate("page {page}", lang).format(page=offset // limit + 1))
    return "; ".join(parts) if parts else i18n.translate("no filter", lang)
