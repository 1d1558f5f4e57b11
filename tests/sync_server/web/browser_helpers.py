# mypy: disable-error-code="import-not-found"
"""Shared by the browser tests: Debian's Chromium, the real server process, axe-core."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


def shots(name: str) -> Path:
    """Where a test module's screenshots go: $FIELDKIT_SHOTS_DIR (default /tmp/shots)/name."""
    return Path(os.environ.get("FIELDKIT_SHOTS_DIR") or "/tmp/shots") / name


def harness() -> Any:
    """tests/e2e/e2e_harness.py (ServerProcess: the real server on a database URL)."""
    name = "e2e_harness"
    if name not in sys.modules:
        path = Path(__file__).parents[2] / "e2e" / "e2e_harness.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (the `browser` fixture of conftest.py).

    Skips the test where Playwright or /usr/bin/chromium is missing.
    """
    import pytest

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Any) -> list[str]:
    """axe-core's critical and serious findings on the page (rule id and first target)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    return [
        f"{v['id']}: {v['nodes'][0]['target'] if v['nodes'] else ''}"
        for v in results.response["violations"]
        if v.get("impact") in ("critical", "serious")
    ]


def overflow(page: Any) -> int:
    """How far the page is wider than the window (wide tables must scroll inside)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def scrolled_tables(page: Any) -> list[str]:
    """The tables (`data-table`, by how many px) whose box scrolls sideways: at 1366 px all fit."""
    return list(
        page.eval_on_selector_all(
            ".table-wrap",
            "els => els.filter(e => e.scrollWidth - e.clientWidth > 1).map(e =>"
            " ((e.querySelector('table') || {dataset: {}}).dataset.table || '?')"
            " + ' by ' + (e.scrollWidth - e.clientWidth) + ' px')",
        )
    )
