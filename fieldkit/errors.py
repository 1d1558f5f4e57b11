"""What every failure a volunteer may see has in common: its own words, never a traceback.

The store, sync and demo raise subclasses of UserError; the app and the CLI show
`message(lang)` and need not know which part of the laptop failed (no Textual here).
"""

from __future__ import annotations


class UserError(Exception):
    """A failure that carries its own text for the volunteer, in Vietnamese or English."""

    def message(self, lang: str = "vi") -> str:
        """The text in the user's language (subclasses give both; this is the plain one)."""
        return str(self)

    @property
    def server_unreachable(self) -> bool:
        """Whether this failure means the server could not be reached (the laptop is offline)."""
        return False
