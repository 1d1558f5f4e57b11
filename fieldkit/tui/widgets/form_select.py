"""A select and a selection list whose keys take effect in key order, however fast the typing."""

from __future__ import annotations

import asyncio
import contextlib
import string
import unicodedata
from collections.abc import Hashable
from time import monotonic
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from rich.text import Text
from textual import events, on
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.widgets import Select, SelectionList

# Select's parts are not exported; FormSelect needs its own overlay (see FormSelectOverlay).
from textual.widgets._select import SelectCurrent, SelectOverlay

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widget import Widget

ValueT = TypeVar("ValueT", bound=Hashable)

SEARCH_KEYS = string.ascii_letters + string.digits
SEARCH_RESET_SECONDS = 0.7  # as Textual's own type-to-search
MOUNT_WAIT_SECONDS = 5.0  # composed within milliseconds; far longer on a loaded machine


def fold(text: str) -> str:
    """Lower case without Vietnamese marks, so plain ASCII keys find 'Không thành công'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class FormSelectOverlay(SelectOverlay):
    """The pop-up list, focused at once when it opens (Widget.focus only queues the move)."""

    def focus(self, scroll_visible: bool = True) -> Self:
        """Take the focus now, so the next key already goes to the list."""
        if self.is_attached:
            self.screen.set_focus(self, scroll_visible=scroll_visible)
        return self


class FormSelect(Select[ValueT]):
    """Select whose keys are priority bindings, handled in the app's key queue.

    Tab moves focus as a priority binding (screens/base.py), i.e. as soon as the key arrives.
    A plain Select handles its keys later, in its own queue and its overlay's, and moves the
    focus between them with Widget.focus, which is queued behind keys already received. With
    a quick "enter, down, enter, Tab" the list had not even opened when Tab moved on, and the
    later keys were applied to whatever had the focus by then. Here every key that opens,
    moves in, picks from or closes the list runs before the next key is looked at: the value
    is set (so anything that watches it synchronously, such as a service's reasons list, is in
    place for Tab), the overlay is shown or hidden inline and the focus moves at once.

    A key can reach a select mounted a moment ago (a service ticked in the same burst) before
    it has built its parts; opening it then waits for that, holding the keys behind it.

    Type-to-search is done here too, for ASCII letters and digits (marks ignored); other
    characters do nothing, rather than being applied after a later Enter.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "pick", show=False, priority=True),
        Binding("down", "move('cursor_down')", show=False, priority=True),
        Binding("up", "move('cursor_up')", show=False, priority=True),
        Binding("home", "move('first')", show=False, priority=True),
        Binding("end", "move('last')", show=False, priority=True),
        Binding("pageup", "move('page_up')", show=False, priority=True),
        Binding("pagedown", "move('page_down')", show=False, priority=True),
        Binding("escape", "close", show=False, priority=True),
        *[Binding(c, f"search({c!r})", show=False, priority=True) for c in SEARCH_KEYS],
    ]

    _search = ""
    _searched_at = 0.0

    def compose(self) -> ComposeResult:
        """Select's own parts, with an overlay that takes the focus at once."""
        yield SelectCurrent(self.prompt)
        yield FormSelectOverlay(type_to_search=False).data_bind(compact=Select.compact)

    def on_mount(self) -> None:
        """Close the list as soon as the focus leaves it (its Blur would come too late)."""
        self.query_one(SelectOverlay).display = False
        self.watch(self.screen, "focused", self._focus_moved, init=False)
        self.show_value()

    def show_value(self) -> None:
        """Show the current value's label.

        A value given before the box had its parts (a returned entry's outcome, loaded as
        the form opens) was kept, but the box went on saying "Select".
        """
        label = next((p for p, v in self._options if v == self.value), None)
        if label is not None and self.value is not Select.NULL:
            self.query_one(SelectCurrent).update(label)

    def _focus_moved(self, focused: Widget | None) -> None:
        if self.expanded and focused is not self.query_one(SelectOverlay):
            self.expanded = False

    @on(SelectOverlay.Dismiss)
    def _late_dismiss(self, event: SelectOverlay.Dismiss) -> None:
        """Ignore the Blur of an earlier opening (out and back in within one burst)."""
        if event.lost_focus and self.screen.focused is self.query_one(SelectOverlay):
            event.stop()
            event.prevent_default()  # Select's own handler would close the list again

    def watch_expanded(self, expanded: bool) -> None:
        """Show or hide the list inline: the CSS class would only apply on a later refresh."""
        self.query_one(SelectOverlay).display = expanded
        self._search = ""

    # -- actions (run in key order) -----------------------------------------------------------

    async def _open(self) -> None:
        if not self.is_mounted:  # the app's key queue waits meanwhile: keys stay in order
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._mounted_event.wait(), MOUNT_WAIT_SECONDS)
            if not self.is_mounted:
                return
        self.action_show_overlay()

    async def action_pick(self) -> None:
        """Open the list, or choose its highlighted option and close it."""
        if not self.expanded:
            await self._open()
            return
        index = self.query_one(SelectOverlay).highlighted
        if index is not None:
            self.value = self._options[index][1]
        self.action_close()

    async def action_move(self, action: str) -> None:
        """Move in the open list (up and down also open it)."""
        if not self.expanded:
            if action not in ("cursor_down", "cursor_up"):
                raise SkipAction
            await self._open()
            return
        overlay = self.query_one(SelectOverlay)
        getattr(overlay, f"action_{action}")()

    def relabel(self, options: list[tuple[str, ValueT]]) -> None:
        """The same values under new labels (another language), keeping the choice.

        Select.set_options picks the first option; setting the kept value back changes
        nothing when it was the first one, so the box went on showing the old label.
        """
        value = self.value
        with self.prevent(Select.Changed):
            self.set_options(options)
            if value is Select.NULL:  # not set up yet: set_options has done all there is
                return
            self.value = value
        if self.is_mounted:
            self.show_value()

    def action_close(self) -> None:
        """Close the open list and give the focus back to the box (Escape goes on otherwise)."""
        if not self.expanded:
            raise SkipAction
        self.expanded = False
        self.screen.set_focus(self, scroll_visible=False)

    def action_search(self, char: str) -> None:
        """Highlight the option whose label has what was typed nearest its start."""
        if not self.expanded:
            raise SkipAction
        now = monotonic()
        if now - self._searched_at > SEARCH_RESET_SECONDS:
            self._search = ""
        self._searched_at = now
        self._search += char.lower()
        overlay = self.query_one(SelectOverlay)
        best: tuple[int, int] | None = None
        for index in range(overlay.option_count):
            prompt = overlay.get_option_at_index(index).prompt
            label = prompt.plain if isinstance(prompt, Text) else str(prompt)
            found = fold(label).find(self._search)
            if found != -1 and (best is None or found < best[0]):
                best = (found, index)
        if best is not None:
            overlay.select(best[1])


class FormSelectionList(SelectionList[ValueT]):
    """SelectionList whose keys are handled by the list that received them.

    See FormRadioSet for why: bindings resolve against the focus at bubbling time, so with a
    quick "space, Tab" the list's Space binding would be looked up on the next widget. Space
    and Enter toggle at once (not through OptionSelected), so `selected` is up to date for a
    Ctrl+S queued behind them.
    """

    def _handled(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    def key_space(self, event: events.Key) -> None:
        """Tick or clear the highlighted option."""
        self._handled(event)
        if self.highlighted is not None:
            self.toggle(self.get_option_at_index(self.highlighted))

    def key_enter(self, event: events.Key) -> None:
        """Tick or clear the highlighted option."""
        self.key_space(event)

    def key_down(self, event: events.Key) -> None:
        """Highlight the next option."""
        self._handled(event)
        self.action_cursor_down()

    def key_up(self, event: events.Key) -> None:
        """Highlight the previous option."""
        self._handled(event)
        self.action_cursor_up()

    def key_home(self, event: events.Key) -> None:
        """Highlight the first option."""
        self._handled(event)
        self.action_first()

    def key_end(self, event: events.Key) -> None:
        """Highlight the last option."""
        self._handled(event)
        self.action_last()

    def key_pagedown(self, event: events.Key) -> None:
        """Highlight an option a page further."""
        self._handled(event)
        self.action_page_down()  # type: ignore[no-untyped-call]

    def key_pageup(self, event: events.Key) -> None:
        """Highlight an option a page back."""
        self._handled(event)
        self.action_page_up()  # type: ignore[no-untyped-call]
