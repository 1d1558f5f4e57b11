"""An unmistakable online/offline indicator."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from fieldkit.tui.i18n import tr


class ConnectionBadge(Static):
    """Shows ONLINE on green or OFFLINE on red, in words as well as colour."""

    DEFAULT_CSS = """
    ConnectionBadge {
        width: auto;
        padding: 0 1;
        text-style: bold;
        background: $error;
        color: $text;
        &.-online { background: $success; }
        &.-unknown { background: $panel; }
    }
    """

    online: reactive[bool | None] = reactive(None)
    """Whether the server answered the last check (None before the first check)."""

    lang: reactive[str] = reactive("vi")
    """The language of the label."""

    def render_label(self) -> str:
        """The badge's words."""
        if self.online is None:
            return "… " + tr("home.offline", self.lang)[2:]
        return tr("home.online" if self.online else "home.offline", self.lang)

    def _refresh_label(self) -> None:
        self.set_class(self.online is True, "-online")
        self.set_class(self.online is None, "-unknown")
        self.update(self.render_label())

    def watch_online(self) -> None:
        """Repaint when the connection changes."""
        self._refresh_label()

    def watch_lang(self) -> None:
        """Repaint when the language changes."""
        self._refresh_label()
