"""One line above the footer for what sync says: it covers nothing, unlike a toast."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    """The running or last sync's words (progress, done, offline), in the app's language."""

    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        max-height: 3;  /* one row as a rule; a long message wraps rather than being cut */
        padding: 0 1;
        color: $text-muted;
        background: $panel;
    }
    """

    def on_mount(self) -> None:
        """Follow the app's sync note and language (attributes down)."""
        self.watch(self.app, "sync_note", self._show)
        self.watch(self.app, "ui_lang", self._show)

    def _show(self) -> None:
        vi, en = getattr(self.app, "sync_note", ("", ""))
        self.update(en if getattr(self.app, "ui_lang", "vi") == "en" else vi)
