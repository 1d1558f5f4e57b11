"""`fieldkit demo` in the terminal: start the demo (fieldkit.demo), then the app on its profile."""

from __future__ import annotations

import subprocess
import sys

from fieldkit.demo import DemoError, start_demo
from fieldkit.errors import UserError
from fieldkit.settings import ClientSettings
from fieldkit.tui.app import FieldkitApp


def run_demo(settings: ClientSettings | None = None) -> int:
    """Start the demo and open the app enrolled as the demo volunteer; stop the server after."""
    settings = settings or ClientSettings()
    try:
        demo = start_demo(settings.home, say=lambda text: print(text, flush=True))
    except (DemoError, OSError, subprocess.SubprocessError) as exc:
        print(f"Không khởi động được bản dùng thử: {exc}", file=sys.stderr)
        return 1
    except UserError as exc:  # enrollment or profile errors carry a Vietnamese message
        print(f"Không khởi động được bản dùng thử: {exc.message('vi')}", file=sys.stderr)
        return 1
    try:
        FieldkitApp(
            settings,
            store=demo.store,
            on_exit=demo.stop,
            notice=demo.notice,
            notice_warning=not demo.reused,
        ).run()
    finally:
        demo.stop()
    return 0
