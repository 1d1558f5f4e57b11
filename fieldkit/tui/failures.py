"""A failure in the app's workers as words for the volunteer (one rule for every screen)."""

from __future__ import annotations

from fieldkit.errors import UserError
from fieldkit.tui.i18n import tr


def explain(error: BaseException, lang: str) -> str:
    """A worker's failure in plain words: its own text if it has one, never a traceback."""
    if isinstance(error, UserError):
        return error.message(lang)
    return tr("error.unexpected", lang)
