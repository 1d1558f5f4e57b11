"""What start-up builds to keep until the app ends, kept out of the garbage collector's scans.

Textual, SQLAlchemy and pydantic load well over 100,000 objects (modules, classes, mappers,
styles) that live as long as the app. Every full cyclic collection walks all of them again,
and building home and the entry form allocates enough to run several; frozen, they are
skipped (bench/README.md, tui, has the figures).
"""

from __future__ import annotations

import gc


def keep_out_of_gc_scans() -> None:
    """Move every object alive now out of the cyclic collector's scans (they are never freed:
    call it only when what exists is meant to last, e.g. after imports and opening a store)."""
    gc.freeze()
