"""Who may read or change which unit: the one policy the API, the web pages and bundles share.

Volunteers read their village and commune and see no staff pages; a coordinator reads and
manages one commune and its villages; a province officer one province and everything under it;
an admin everything. Refusals are `AccessError`s: the API turns them into its JSON error, the web
app into a page for people (with no figure of the refused unit on it).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sync_server.db.models import Entry, Team, Unit, User

STAFF_ROLES = frozenset({"coordinator", "province", "admin"})


class AccessError(Exception):
    """A request was refused by the policy; `status` is 400, 403 or 404, `code` is stable."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def lineage(unit: Unit) -> set[str]:
    """The unit's own code and every code above it that the row records."""
    return {c for c in (unit.code, unit.parent_code, unit.commune_code, unit.province_code) if c}


def entry_lineage(entry: Entry) -> set[str]:
    """The village, commune and province an entry belongs to."""
    return {c for c in (entry.village_code, entry.commune_code, entry.province_code) if c}


def is_staff(user: User) -> bool:
    """Coordinators, province officers and admins (the people with staff pages)."""
    return user.role in STAFF_ROLES


def volunteer_units(session: Session, user: User) -> tuple[str | None, str | None]:
    """A volunteer's (village, commune) codes, from their team."""
    team = session.get(Team, user.team_id) if user.team_id is not None else None
    if team is None:
        return None, None
    village = session.get(Unit, team.village_code)
    if village is None:
        return team.village_code, None
    return village.code, village.commune_code or village.parent_code


def home_unit(session: Session, user: User) -> str | None:
    """The unit a user looks at by default: a volunteer's village, staff's own unit."""
    if user.role == "volunteer":
        return volunteer_units(session, user)[0]
    return user.unit_code


def can_read(session: Session, user: User, unit: Unit) -> bool:
    """Whether a user may read figures about a unit."""
    if user.role == "admin":
        return True
    if user.role in ("coordinator", "province"):
        return user.unit_code is not None and user.unit_code in lineage(unit)
    village, commune = volunteer_units(session, user)
    return unit.code in (village, commune)


def can_manage(user: User, codes: set[str]) -> bool:
    """Whether staff may review entries or set quotas under a unit with these lineage codes."""
    if user.role == "admin":
        return True
    if user.role not in ("coordinator", "province") or user.unit_code is None:
        return False
    return user.unit_code in codes


def can_set_quota(user: User, unit: Unit) -> bool:
    """Quotas flow downwards: staff set them for units strictly below their own."""
    if user.role == "admin":
        return True
    return unit.code != user.unit_code and can_manage(user, lineage(unit))


def readable_unit(session: Session, user: User, unit_code: str | None) -> Unit:
    """The unit named in a request (or the user's own), checked for existence and access."""
    code = unit_code or home_unit(session, user)
    if not code:
        raise AccessError(400, "unit_required", "Name a unit with ?unit=CODE.")
    unit = session.get(Unit, code)
    if unit is None:
        raise AccessError(404, "unit_not_found", f"There is no unit with code {code[:20]}.")
    if not can_read(session, user, unit):
        raise AccessError(403, "forbidden", f"You may not read figures of unit {code}.")
    return unit


def staff_unit(session: Session, user: User, unit_code: str) -> Unit:
    """A unit a staff page may show: the caller is staff and the unit is in their scope."""
    require_staff(user)
    return readable_unit(session, user, unit_code)


AUDIT_LEVELS = ("province", "commune")
"""Units with an audit page: a commune (its villages' records too) and a province (all under it)."""


def audit_unit(session: Session, user: User, unit_code: str | None) -> Unit:
    """The unit whose audit log the caller may read: a commune or province they manage.

    A coordinator reads their commune's; a province officer their province's and any of its
    communes'; an admin any. Defaults to the caller's own unit.
    """
    require_staff(user)
    unit = readable_unit(session, user, (unit_code or "").strip()[:20] or None)
    if unit.level not in AUDIT_LEVELS:
        raise AccessError(
            404, "not_auditable", "The audit log is kept per commune and per province."
        )
    if not can_manage(user, lineage(unit)):
        raise AccessError(403, "forbidden", f"You may not read the audit log of unit {unit.code}.")
    return unit


def require_staff(user: User) -> None:
    """Only coordinators, province officers and admins see entries and manage quotas."""
    if not is_staff(user):
        raise AccessError(
            403,
            "forbidden",
            "Only coordinators, province officers and admins may do this.",
        )


def manageable_user(actor: User, target: User, target_unit: Unit | None) -> bool:
    """Whether staff may reset another person's password: admins anyone; staff people under them.

    A coordinator manages the volunteers of their commune; a province officer the coordinators
    and volunteers of their province. Nobody manages an admin but an admin, nor a peer, nor
    themselves (one changes one's own password knowing the current one).
    """
    if target.id == actor.id:
        return False
    if actor.role == "admin":
        return True
    if not is_staff(actor) or target.role == "admin":
        return False
    if target_unit is None or target.unit_code == actor.unit_code:
        return False
    return can_manage(actor, lineage(target_unit))
