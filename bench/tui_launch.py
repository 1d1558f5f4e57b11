"""Run by bench/tui.py in a fresh interpreter: time launch → unlock → new-entry form focused.

The PIN, Enter and 'n' arrive as fast as keys can: each the moment the screen that takes it
shows, so every wait measured is the app's.

Usage: python tui_launch.py HOME SPAWN_EPOCH_SECONDS PIN; prints one JSON line of timings in
seconds since the parent spawned this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

SPAWNED = float(sys.argv[2])
TIMEOUT_S = float(os.environ.get("BENCH_TUI_TIMEOUT", "30"))
"""How long any one step may take before the launch counts as failed."""


def cpu() -> float:
    """CPU seconds this process (all threads) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def since_spawn() -> float:
    """Seconds since the parent started this process (wall clock, same machine)."""
    return time.time() - SPAWNED


async def wait_for(
    pilot: object, check: Callable[[], bool], what: str, timeout: float = TIMEOUT_S
) -> None:
    """Let the app run until check() holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause(0.005)  # type: ignore[attr-defined]


def first_seen(check: Callable[[], bool], what: str) -> asyncio.Task[float]:
    """The monotonic time at which check() first holds, polled on the app's own event loop.

    Pilot's own waits return only once the whole process has gone idle (Textual's
    wait_for_idle compares CPU time with wall time), so they also wait for background
    workers the volunteer never waits for; this sees the screen the moment the event loop
    has it.
    """

    async def poll() -> float:
        deadline = time.monotonic() + TIMEOUT_S
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.002)
        return time.monotonic()

    return asyncio.ensure_future(poll())


async def main() -> dict[str, float]:
    """Launch the app the way `fieldkit` does and drive it to the new-entry form."""
    from textual import events
    from textual.widgets import Input

    from fieldkit.settings import ClientSettings
    from fieldkit.tui.app import FieldkitApp
    from fieldkit.tui.screens.entry_form import EntryFormScreen
    from fieldkit.tui.screens.home import HomeScreen

    timings = {"imported_s": since_spawn(), "cpu_imported_s": cpu()}
    app = FieldkitApp(ClientSettings(home=Path(sys.argv[1])))

    def focused_id() -> str | None:
        return app.focused.id if app.focused is not None else None

    def type_keys(*keys: str) -> None:
        """Hand keys to the app as its terminal driver does, without Pilot's idle waits.

        Pilot.press sleeps at least 40 ms after every key until the process looks idle; that
        is Pilot's time, not the app's, and here the keys come as fast as a volunteer could
        type them: all at once.
        """
        for name in keys:
            char = "\r" if name == "enter" else name
            app.post_message(events.Key(name, char))

    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: focused_id() == "pin", "the PIN field")
        timings["unlock_ready_s"] = since_spawn()
        timings["cpu_unlock_ready_s"] = cpu()

        def home_shown() -> bool:
            return isinstance(app.screen, HomeScreen) and app.screen.is_mounted

        def form_focused() -> bool:
            return (
                isinstance(app.screen, EntryFormScreen)
                and isinstance(app.focused, Input)
                and focused_id() == "full_name"
            )

        typed = time.monotonic()
        home_seen = first_seen(home_shown, "the home screen")
        type_keys(*sys.argv[3], "enter")
        timings["unlock_to_home_s"] = await home_seen - typed
        timings["cpu_home_s"] = cpu()
        # 'n' the moment home shows (the checks home starts are still running).
        pressed = time.monotonic()
        form_seen = first_seen(form_focused, "the new-entry form")
        type_keys("n")
        timings["n_to_form_s"] = await form_seen - pressed
        timings["cpu_to_form_s"] = cpu()
        timings["wall_to_form_s"] = since_spawn()
        # What the volunteer waits for: launch to the PIN field, unlock, and 'n'.
        timings["form_ready_s"] = (
            timings["unlock_ready_s"] + timings["unlock_to_home_s"] + timings["n_to_form_s"]
        )
        await pilot.pause()  # until the process is idle: the checks home started are done
        timings["idle_after_form_s"] = since_spawn()
        timings["cpu_idle_after_form_s"] = cpu()
    return timings


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
