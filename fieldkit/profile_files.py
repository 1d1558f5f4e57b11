"""Where profiles live on disk: $FIELDKIT_HOME/profiles/<name>/fieldkit.sqlite3.

Only paths and a directory scan, so the app's first screen and its PIN check find profiles
without loading SQLAlchemy (fieldkit.store.profiles builds on these names).
"""

from __future__ import annotations

from pathlib import Path

DB_NAME = "fieldkit.sqlite3"
"""The database file in each profile's directory."""


def profile_database(home: Path, name: str) -> Path:
    """Where a profile's database file is."""
    return home / "profiles" / name / DB_NAME


def profile_names(home: Path) -> list[str]:
    """Profile directories holding a database (a directory scan; the store loads later)."""
    root = home / "profiles"
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and (d / DB_NAME).is_file())
