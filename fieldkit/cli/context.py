"""What every command gets from the root callback: settings, language and the chosen profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from fieldkit.settings import ClientSettings
    from fieldkit.store import Store


@dataclass
class Context:
    """What every command needs: settings (language, home) and the chosen profile."""

    settings: ClientSettings

    @property
    def lang(self) -> str:
        """The user's language."""
        return self.settings.lang

    def t(self, vi: str, en: str) -> str:
        """Pick the text in the user's language."""
        return en if self.lang == "en" else vi

    def store(self) -> Store:
        """Open the chosen (or only, or last used) profile, masking numbers kept too long."""
        from fieldkit.store import open_store

        store = open_store(self.settings.home, self.settings.profile)
        try:
            store.mask_overdue(self.settings.mask_after, self.settings.retention_days)
        except BaseException:
            store.close()
            raise
        return store


def context_of(typer_ctx: typer.Context) -> Context:
    """The Context the root callback put on Typer's context."""
    obj = typer_ctx.obj
    assert isinstance(obj, Context)
    return obj
