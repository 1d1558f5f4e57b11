"""The browser tests launch Chromium in one place: browser_helpers.chromium (conftest's fixture)."""

from __future__ import annotations

from pathlib import Path

LAUNCH = "chromium" + ".launch("
"""Split so that this file does not match itself."""


def test_only_browser_helpers_launches_chromium() -> None:
    tests = Path(__file__).parents[2]
    launching = sorted(
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if path.name != "browser_helpers.py" and LAUNCH in path.read_text(encoding="utf-8")
    )
    assert launching == []
