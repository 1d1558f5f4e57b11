"""Fixtures for the store tests: a real profile in a temp dir, built from a fake enrollment."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fieldkit_store_helpers import fake_enrollment

from fieldkit.store import Store, create_profile


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh FIELDKIT_HOME."""
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    """An enrolled profile's store."""
    s = create_profile(home, fake_enrollment(), "http://127.0.0.1:9")
    try:
        yield s
    finally:
        s.close()
