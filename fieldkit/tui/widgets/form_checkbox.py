"""A checkbox that toggles on Space/Enter in its own queue, so fast typing hits the right box."""

from __future__ import annotations

from textual import events
from textual.widgets import Checkbox


class FormCheckbox(Checkbox):
    """Checkbox whose Space/Enter are handled by the box that received them.

    Textual resolves non-priority bindings when a key bubbles back to the app, against whatever
    is focused then; with Tab moving focus first (a priority binding), a quick "space, Tab"
    would otherwise toggle the next box.
    """

    def key_space(self, event: events.Key) -> None:
        """Toggle."""
        event.stop()
        event.prevent_default()
        self.toggle()

    def key_enter(self, event: events.Key) -> None:
        """Toggle."""
        self.key_space(event)
