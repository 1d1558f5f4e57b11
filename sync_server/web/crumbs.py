"""The breadcrumb trail of a unit page: province → commune → village, as far as one may see."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sync_server.db.models import Unit, User
from sync_server.services import access


def crumb_items(session: Session, user: User, unit: Unit) -> list[tuple[str, str | None]]:
    """(text, link) from the top unit the person may read down to this one."""
    chain: list[Unit] = []
    for code in (unit.province_code, unit.commune_code or unit.parent_code):
        if code and code != unit.code:
            above = session.get(Unit, code)
            if above is not None and above not in chain and access.can_read(session, user, above):
                chain.append(above)
    chain.append(unit)
    return [(u.name, f"/units/{u.code}") for u in chain]
