"""A text field whose editing keys take effect in key order, however fast the typing."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class FormInput(Input):
    """Input that runs its own key bindings (Backspace, End, arrows…) in its own queue.

    Textual handles a typed character in the field's queue as soon as the field gets to it,
    but a key bound by the field (Backspace, Delete, Home, End, the arrows) only once the key
    has bubbled up to the app, which then looks the binding up. In a burst of keys (a fast
    typist, a paste through the terminal, tmux send-keys) every key is queued before any is
    handled, so the characters overtake the editing keys: "Tab, End, Backspace ×4, 1991" into
    a birth year holding 1990 typed 1991 over the selection first and then erased it. Here
    the field runs its own binding for a key where it handles the characters, so both keep
    the order they were typed in. Screen and app bindings are untouched: a key the field does
    not bind bubbles on as before.
    """

    async def _on_key(self, event: events.Key) -> None:
        if await self.take_key(event):
            event.prevent_default()  # Input's own handler and the app's lookup: done

    async def take_key(self, event: events.Key) -> bool:
        """Run this field's own binding for the key, if it has one; whether it did.

        Also for a key sent to another widget before a typed letter moved the focus here
        (the entries list hands such keys on): it is an edit of this field's text.
        """
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue  # already looked up by the app, before the key was forwarded here
            if await self.app.run_action(binding.action, self):
                event.stop()
                return True
        return False
