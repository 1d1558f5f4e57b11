"""Where a person lands after signing in, and which `next` addresses are safe to go back to."""

from __future__ import annotations

from sync_server.db.models import User


def landing_path(user: User) -> str:
    """Staff land on their own unit's page; an admin without a unit on the list of provinces."""
    if user.unit_code:
        return f"/units/{user.unit_code}"
    return "/units"


def safe_next(target: str) -> str:
    """A path on this site to return to after sign-in, or '' (never another site)."""
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    if any(ord(c) < 32 for c in target) or target.startswith(("/login", "/logout", "/lang")):
        return ""
    return target[:2000]
