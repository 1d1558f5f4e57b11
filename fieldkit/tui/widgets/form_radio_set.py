"""A radio set that handles its keys in its own queue, so fast typing picks the right choice."""

from __future__ import annotations

from textual import events
from textual.widgets import RadioButton, RadioSet


class FormRadioSet(RadioSet):
    """RadioSet whose arrows and Space/Enter are handled by the set that received them.

    See FormCheckbox for why: bindings resolve against the focus at bubbling time.
    """

    def _handled(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    def key_space(self, event: events.Key) -> None:
        """Choose the highlighted button."""
        self._handled(event)
        self.action_toggle_button()

    def key_enter(self, event: events.Key) -> None:
        """Choose the highlighted button."""
        self.key_space(event)

    def key_right(self, event: events.Key) -> None:
        """Highlight the next button."""
        self._handled(event)
        self.action_next_button()

    def key_down(self, event: events.Key) -> None:
        """Highlight the next button."""
        self.key_right(event)

    def key_left(self, event: events.Key) -> None:
        """Highlight the previous button."""
        self._handled(event)
        self.action_previous_button()

    def key_up(self, event: events.Key) -> None:
        """Highlight the previous button."""
        self.key_left(event)

    def choose(self, button_id: str | None) -> None:
        """Press the button with this id, or none at all, without posting Changed.

        A plain RadioSet turns a button switched off straight back on, so a form that sets
        every button's value to clear the set keeps the old choice pressed.
        """
        chosen: RadioButton | None = None
        with self.prevent(RadioButton.Changed):
            for button in self.query(RadioButton):
                button.value = button.id == button_id
                if button.value:
                    chosen = button
        self._pressed_button = chosen
        # The cursor goes where a fresh set has it (the first button) or to the choice.
        self._selected = self._nodes.index(chosen) if chosen is not None else 0
