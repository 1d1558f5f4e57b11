"""A checkbox that toggles in key order with Tab, so fast typing hits the right box."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Checkbox


class FormCheckbox(Checkbox):
    """Checkbox whose Space/Enter are priority bindings, handled in the app's key queue.

    Tab moves focus as a priority binding (screens/base.py), i.e. in the app's queue, as soon
    as the key arrives. A non-priority Space would be forwarded to the box's own queue and
    handled later: with a quick "space, Tab" the toggle (and whatever it shows, such as a
    service's outcome box) would happen after focus had already moved on. As a priority
    binding the toggle runs before the next key is even looked at, on the box focused when
    Space was pressed, and anything that watches the value synchronously is in place for Tab.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "toggle_button", show=False, priority=True),
    ]
