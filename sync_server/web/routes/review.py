"""The review queue (`/review`): a commune's entries waiting for review, decided one by one,
ticked, or everything matching the filter (after a confirm step with the count).

The forms post the API's own fields, `decision` (approved | rejected | has_issues) and
`reason`; a reason is required to reject or flag (services.review.checked_decision).
Every page of entries shown is written to the audit log: the page is read in a read
transaction, its audit rows written in a short write transaction, and it is rendered after
both (`_show`), so rendering never holds the writers' lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from fieldkit.domain import Outcome, Reason, outcome_label, reason_label
from fieldkit.domain.digits import ascii_int
from sync_server.api.deps import SessionDep
from sync_server.db.engine import reading, writing
from sync_server.db.models import Entry, Unit, User
from sync_server.services import access, audit
from sync_server.services.entries import READ_ACTION, EntryQuery, audit_shown, find_entries
from sync_server.services.laptops import last_sync_received
from sync_server.services.review import (
    COMMON_REASONS,
    MAX_REASON,
    ReviewRefused,
    checked_decision,
    review_entries,
)
from sync_server.services.review_queue import (
    MAX_BULK,
    REVIEW_STATES,
    commune_volunteers,
    decide_matching,
    matching_ids,
    reviews_of,
)
from sync_server.web.communes import managed_commune, service_labels, villages_of
from sync_server.web.deps import CheckedForm, SignedIn
from sync_server.web.errors import WebError
from sync_server.web.figures import short_labels
from sync_server.web.templating import render, request_lang

router = APIRouter(tags=["web"], include_in_schema=False)

PAGE_SIZE = 50
FILTERS = ("village", "volunteer", "service", "outcome", "status")
DEFAULT_STATUS = "pending"
ALL = "all"


def _filters(source: Mapping[str, Any]) -> dict[str, str]:
    """The filter fields of a query string or form, trimmed (status defaults to pending)."""
    values = {key: str(source.get(key) or "").strip()[:40] for key in FILTERS}
    values["status"] = values["status"] or DEFAULT_STATUS
    return values


def _query(commune: Unit, filters: dict[str, str], page: int = 1) -> EntryQuery:
    """The entries query of a filter; a bad value is a 400 page, never a 5xx."""
    status = filters["status"]
    if status != ALL and status not in REVIEW_STATES:
        raise WebError(400, "Unknown review state.", detail="status")
    volunteer = filters["volunteer"]
    if volunteer and ascii_int(volunteer, max_digits=9) is None:
        raise WebError(400, "Unknown volunteer.", detail="volunteer")
    try:
        return EntryQuery(
            unit=commune.code,
            village=filters["village"] or None,
            volunteer=int(volunteer) if volunteer else None,
            service=filters["service"] or None,
            outcome=filters["outcome"] or None,
            review_status=None if status == ALL else status,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    except ValidationError as exc:
        raise WebError(400, "A filter is not valid.", detail=str(exc.errors()[0]["loc"])) from exc


def _link(commune: Unit, filters: dict[str, str], **extra: object) -> str:
    """The queue's address for a filter (empty fields left out)."""
    params = {"unit": commune.code, **{k: v for k, v in filters.items() if v}, **extra}
    return "/review?" + urlencode(params)


def _labels(lang: str) -> dict[str, dict[str, str]]:
    return {
        "outcomes": {o.value: outcome_label(o, lang) for o in Outcome},
        "reasons": {r.value: reason_label(r, lang) for r in Reason},
    }


@dataclass
class _Shown:
    """An audited page as read: its template and context, and the audit of what it shows."""

    template: str
    context: dict[str, Any]
    audit: Callable[[Session], None]
    status: int = 200


def _show(request: Request, session: Session, read: Callable[[], _Shown]) -> Response:
    """Read in a read transaction, write the audit in a short write one, render after both."""
    with reading(session):
        shown = read()
    with writing(session):
        shown.audit(session)
    return render(request, shown.template, shown.context, shown.status)


def _queue(
    request: Request,
    session: Session,
    user: User,
    commune: Unit,
    filters: dict[str, str],
    page: int,
    error: str = "",
    status: int = 200,
    kept: Mapping[str, Any] | None = None,
) -> _Shown:
    """One page of the queue and the audit of the entries on it (see _show).

    `kept` is what a refused decision form held (decision, reason, ticked ids): shown again
    as it was, so a refusal never loses the coordinator's input or flips their decision.
    """
    query = _query(commune, filters, page)
    result, shown = find_entries(session, user, commune, query)
    lang = request_lang(request)
    villages = villages_of(session, commune)
    pages = max(1, -(-result.count // PAGE_SIZE))
    volunteers = commune_volunteers(session, commune)
    services = service_labels(session, lang)
    context: dict[str, Any] = {
        "unit": commune,
        "commune_code": commune.code,
        "period": "",
        "entries": result.data,
        "count": result.count,
        "page": page,
        "pages": pages,
        "filters": filters,
        "villages": villages,
        "village_names": {v.code: v.name for v in villages},
        "volunteers": volunteers,
        "volunteer_names": {uid: name for uid, name, _v in volunteers},
        "services": services,
        "labels": services,
        "shorts": short_labels(services, lang),
        "states": REVIEW_STATES,
        "common_reasons": [vi if lang == "vi" else en for vi, en in COMMON_REASONS],
        "page_link": lambda number: _link(commune, filters, page=number),
        "qs": _link(commune, filters).removeprefix("/review?"),
        "error": error,
        "max_bulk": MAX_BULK,
        "as_of": last_sync_received(session, commune),
        "ticked": set(),
        **_labels(lang),
        **(kept or {}),
    }
    return _Shown(
        "review.html",
        context,
        lambda s: audit_shown(s, user, commune, query, shown),
        status,
    )


@router.get("/review")
def queue(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """The queue: newest first, filtered, 50 to a page."""
    params = request.query_params
    page = ascii_int((params.get("page") or "1").strip(), max_digits=6)
    if page is None or not 1 <= page <= 100_000:
        raise WebError(400, "No such page.", detail="page")

    def read() -> _Shown:
        commune = managed_commune(session, viewer.user, params.get("unit"))
        return _queue(request, session, viewer.user, commune, _filters(params), page)

    return _show(request, session, read)


def _entry_in(session: Session, user: User, entry_id: str) -> Entry:
    """An entry the viewer may review; the 404 page for one outside their units."""
    entry = session.get(Entry, entry_id[:36]) if entry_id else None
    if entry is None or not access.can_manage(user, access.entry_lineage(entry)):
        raise WebError(404, detail="no such entry in your units")
    return entry


@router.get("/review/next")
def next_entry(request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """The first entry of the filtered queue, one by one; the queue itself when none is left."""
    params = request.query_params
    commune = managed_commune(session, viewer.user, params.get("unit"))
    filters = _filters(params)
    after_id = (params.get("after") or "").strip()
    after = _entry_in(session, viewer.user, after_id) if after_id else None
    ids = matching_ids(session, commune, _query(commune, filters), 1, after)
    if not ids:
        return RedirectResponse(_link(commune, filters, done=1), status_code=303)
    query = urlencode({"unit": commune.code, **{k: v for k, v in filters.items() if v}})
    return RedirectResponse(f"/review/entries/{ids[0]}?{query}", status_code=303)


def _entry_page(
    request: Request,
    session: Session,
    user: User,
    entry: Entry,
    filters: dict[str, str],
    error: str = "",
    status: int = 200,
    kept: Mapping[str, Any] | None = None,
) -> _Shown:
    """One entry with its past decisions and the decision form, and its audit (see _show)."""
    commune = managed_commune(session, user, entry.commune_code)
    lang = request_lang(request)
    commune_code, detail = entry.commune_code, f"entry={entry.id}"
    return _Shown(
        "review_entry.html",
        {
            "unit": commune,
            "commune_code": commune.code,
            "period": "",
            "entry": entry,
            "reviews": reviews_of(session, entry.id),
            "filters": filters,
            "village_names": {v.code: v.name for v in villages_of(session, commune)},
            "volunteer": session.get(User, entry.user_id),
            "services": service_labels(session, lang),
            "common_reasons": [vi if lang == "vi" else en for vi, en in COMMON_REASONS],
            "queue_link": _link(commune, filters),
            "error": error,
            **_labels(lang),
            **(kept or {}),
        },
        lambda s: audit.record(s, user, READ_ACTION, commune_code, detail),
        status,
    )


@router.get("/review/entries/{entry_id}")
def one_entry(entry_id: str, request: Request, session: SessionDep, viewer: SignedIn) -> Response:
    """One entry and the decision form, with keyboard shortcuts for deciding one by one."""

    def read() -> _Shown:
        entry = _entry_in(session, viewer.user, entry_id)
        return _entry_page(request, session, viewer.user, entry, _filters(request.query_params))

    return _show(request, session, read)


def _form_text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


@router.post("/review/decide")
def decide(request: Request, session: SessionDep, viewer: SignedIn, form: CheckedForm) -> Response:
    """Record a decision for one entry, the ticked ones, or everything matching the filter."""
    with reading(session):
        commune = managed_commune(session, viewer.user, _form_text(form, "unit"))
    filters = _filters({k: _form_text(form, k) for k in FILTERS})
    scope = _form_text(form, "scope")
    ids = [v for v in form.getlist("entry_id") if isinstance(v, str)]
    try:
        with writing(session):
            return _decide(request, session, viewer.user, commune, filters, form)
    except ReviewRefused as exc:
        error = exc.code

    kept = {
        "decision": _form_text(form, "decision"),
        "reason": _form_text(form, "reason")[: MAX_REASON * 2],
        "ticked": set(ids) if scope == "ticked" else set(),
    }

    def read() -> _Shown:  # the page shown again is audited like any other
        user = viewer.user
        if scope == "one" and len(ids) == 1:
            entry = _entry_in(session, user, ids[0])
            return _entry_page(request, session, user, entry, filters, error, 400, kept)
        return _queue(request, session, user, commune, filters, 1, error, 400, kept)

    return _show(request, session, read)


def _decide(
    request: Request,
    session: Session,
    user: User,
    commune: Unit,
    filters: dict[str, str],
    form: FormData,
) -> Response:
    """The decision itself, in the caller's write transaction (ReviewRefused rolls it back)."""
    scope = _form_text(form, "scope")
    decision, reason = _form_text(form, "decision"), _form_text(form, "reason")
    ids = [v for v in form.getlist("entry_id") if isinstance(v, str)]
    if scope == "one" and len(ids) == 1:
        review_entries(session, ids, decision, reason, user, commune.code)
        query = urlencode(
            {"unit": commune.code, **{k: v for k, v in filters.items() if v}, "after": ids[0]}
        )
        return RedirectResponse(f"/review/next?{query}", status_code=303)
    if scope == "ticked":
        done = review_entries(session, ids, decision, reason, user, commune.code)
    elif scope == "all":
        checked_decision(decision, reason)  # a missing reason is said before the confirm step
        wanted = _query(commune, filters)
        matching = len(matching_ids(session, commune, wanted, MAX_BULK))
        if _form_text(form, "confirm") != "yes" or _form_text(form, "expected") != str(matching):
            return render(
                request,
                "review_confirm.html",
                {
                    "unit": commune,
                    "commune_code": commune.code,
                    "period": "",
                    "filters": filters,
                    "matching": matching,
                    "decision": decision,
                    "reason": reason,
                    "max_bulk": MAX_BULK,
                    "changed": _form_text(form, "confirm") == "yes",
                    "queue_link": _link(commune, filters),
                },
            )
        done = decide_matching(session, commune, wanted, decision, reason, user)
    else:
        raise ReviewRefused("nothing_selected", "Chưa chọn mục nào / No entry selected")
    return RedirectResponse(_link(commune, filters, decided=done), status_code=303)
